// Which front doors a process runs, from the Config. Workers need the adapters (to talk back);
// the web process also starts the front doors (webhooks / long polling) that accept requests.
import type { CoreServices } from '../src/app/services.js';
import type { HttpServer } from '../src/http/server.js';
import type { AdapterRegistry } from '../pipeline/ports.js';
import { slackAdapterFor, startSlackFrontDoor } from './slack/index.js';
import { startTelegramFrontDoor, telegramAdapterFor } from './telegram/index.js';
import { startWebFrontDoor, webAdapterFor } from './web/index.js';

export interface FrontDoor {
  stop(): Promise<void>;
}

/** Adapters for every configured platform, for the worker to report progress and deliver. */
export function chatAdapters(services: CoreServices): AdapterRegistry {
  const registry: AdapterRegistry = {};
  if (services.config.slack.botToken) registry.slack = slackAdapterFor(services);
  const telegram = telegramAdapterFor(services);
  if (telegram) registry.telegram = telegram;
  registry.web = webAdapterFor(services);
  return registry;
}

/** Start every configured front door on the web process's HTTP server. */
export async function startFrontDoors(
  services: CoreServices,
  http: HttpServer,
  opts: { role: 'web' | 'all' } = { role: 'web' },
): Promise<FrontDoor[]> {
  const doors: FrontDoor[] = [startWebFrontDoor(services, http, opts)];
  if (services.config.slack.botToken) doors.push(await startSlackFrontDoor(services, http));
  const telegram = await startTelegramFrontDoor(services, http);
  if (telegram) doors.push(telegram);
  return doors;
}
