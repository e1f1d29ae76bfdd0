// /doc2video: with no text it opens the form (views.open needs the trigger_id within 3 s, so the
// command is acknowledged first); `status`, `cancel <id>` and `help` are answered ephemerally
// through the command's response_url, about the caller's own jobs only; `usage [YYYY-MM-DD]` gives
// the admin usage report to the ids in ADMIN_IDS. The form's submission enqueues the job for the
// channel the command came from.
import type { App } from '@slack/bolt';
import { JobError, type Locale } from '../../src/errors.js';
import { cancelText, cancelUsageText, helpText, localeOf, operatorHelpLine, statusText } from '../texts.js';
import { usageAnswer } from '../usage.js';
import { problemText, submitSlackFile, userKeyOf, type SlackFrontDeps } from './intake.js';
import { keptLinks } from '../intake.js';
import { BLOCK_PDF, MODAL_CALLBACK_ID, buildModal, parseMetadata, parseSubmission } from './modal.js';
import { escapeSlackMarkup, modalWord, slackUserText } from './texts.js';

/** The shared help, with Slack's way of giving commands. */
function slackHelpText(locale: Locale, deps: SlackFrontDeps): string {
  return helpText(locale, deps.limits, 'slack');
}

async function answerCommand(
  deps: SlackFrontDeps,
  who: { teamId: string; userId: string },
  text: string,
  locale: Locale,
): Promise<string> {
  const [verb = '', ...rest] = text.trim().split(/\s+/);
  const userKey = userKeyOf(who.teamId, who.userId);
  switch (verb.toLowerCase()) {
    case 'status': {
      const jobs = await deps.records.listForUser(userKey);
      return statusText(locale, jobs, slackUserText, await keptLinks(deps, jobs));
    }
    case 'cancel': {
      const jobId = (rest[0] ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
      if (!jobId) return cancelUsageText(locale, 'slack');
      const outcome = await deps.cancel(jobId, userKey);
      deps.logger.info({ event: 'cancel_requested', jobId, outcome, platform: 'slack' }, 'cancel requested');
      return cancelText(locale, outcome, jobId, 'slack');
    }
    case 'usage':
      // Anyone else gets what an unknown word gets (the help), never the report.
      if (deps.isAdmin(who)) {
        let report: string;
        try {
          // The report names users and jobs: shown as text, never as markup.
          report = escapeSlackMarkup(await usageAnswer(deps.usage, rest.join(' '), locale, '/doc2video usage'));
        } catch (err) {
          deps.logger.error({ event: 'usage_report_failed', err, platform: 'slack' }, 'could not read the usage report');
          return new JobError('INTERNAL').userMessage(locale);
        }
        deps.logger.info({ event: 'usage_report_shown', platform: 'slack', userKey }, 'usage report shown');
        return report;
      }
      deps.logger.info({ event: 'usage_refused', platform: 'slack', userKey }, 'usage report refused: not an admin');
      return slackHelpText(locale, deps);
    default: {
      const help = slackHelpText(locale, deps);
      // Slack has no per-user command list: the help tells admins (only) about `usage`.
      if (!deps.isAdmin(who)) return help;
      return `${help}\n${operatorHelpLine(locale)}`;
    }
  }
}

export function registerCommands(app: App, deps: SlackFrontDeps): void {
  const log = deps.logger;

  // Any command of this app (a workspace may install it as /doc2video-dev).
  app.command(/^\/doc2video/, async ({ command, ack, respond, client }) => {
    const teamId = command.team_id;
    const userId = command.user_id;
    await ack();

    if (command.text.trim() === '') {
      // No time for users.info before views.open: the cached locale, or English.
      const cached = deps.locales.cached(teamId, userId);
      const locale = localeOf(cached);
      deps.background.run('views.open', async () => {
        try {
          await client.views.open({
            trigger_id: command.trigger_id,
            view: buildModal(locale, { channel: command.channel_id, ...(cached ? { locale: cached } : {}) }, deps.videoDefaults),
          });
          log.info({ event: 'slack_modal_opened', teamId, userId }, 'doc2video form opened');
        } catch (err) {
          log.warn({ event: 'slack_modal_failed', err }, 'could not open the form');
          await respond({ response_type: 'ephemeral', text: slackHelpText(locale, deps) });
        }
      });
      deps.background.run('locale', () => deps.locales.get(teamId, userId));
      return;
    }

    deps.background.run('command', async () => {
      const locale = localeOf(await deps.locales.get(teamId, userId));
      const text = await answerCommand(deps, { teamId, userId }, command.text, locale);
      await respond({ response_type: 'ephemeral', text });
    });
  });

  app.view(MODAL_CALLBACK_ID, async ({ ack, body, view }) => {
    const meta = parseMetadata(view.private_metadata);
    const userId = body.user.id;
    const teamId = body.team?.id ?? body.user.team_id ?? '';
    const rawLocale = meta?.locale ?? deps.locales.cached(teamId, userId);
    const locale = localeOf(rawLocale);
    if (!meta || !teamId) {
      log.warn({ event: 'slack_modal_invalid' }, 'form submission without a channel');
      await ack();
      return;
    }
    const { files, options } = parseSubmission(view.state.values);
    const file = files[0];
    if (!file || files.length !== 1) {
      await ack({ response_action: 'errors', errors: { [BLOCK_PDF]: modalWord(locale, 'oneFile') } });
      return;
    }

    const outcome = await submitSlackFile(
      deps,
      { teamId, userId, channelId: meta.channel, ...(rawLocale ? { locale: rawLocale } : {}) },
      file,
      options,
    );
    const problem = problemText(deps, outcome, locale);
    if (problem) {
      // The form stays open with the reason under the file field.
      await ack({ response_action: 'errors', errors: { [BLOCK_PDF]: problem.slice(0, 300) } });
      return;
    }
    await ack();
  });
}
