// The Slack door's entry point (composition root), mirroring bots/telegram/index.ts: the web
// process starts the front door, the worker builds the chat adapter. The wiring from
// CoreServices lives in app.ts beside the Bolt receivers and their HTTP mount for now.
export { prefixOf, slackAdapterFor, slackFrontDepsFrom, startSlackFrontDoor, type SlackFrontDoor } from './app.js';
