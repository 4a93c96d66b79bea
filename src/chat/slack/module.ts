import { z } from 'zod';
import { defineChatPlatform } from '../platform-module.ts';

/** Slack as configured: Socket Mode with the app token, else HTTP mode at /slack/events. */
export interface SlackSettings {
  readonly mode: 'socket' | 'http';
  readonly botToken: string;
  readonly appToken: string | undefined;
  readonly signingSecret: string | undefined;
  readonly apiUrl: string | undefined;
  readonly announceChannel: string | undefined;
}

/** Slack, on the real Bolt app (loaded only when configured: ~20 MB the sandbox does not need). */
export const slackModule = defineChatPlatform({
  id: 'slack',
  env: {
    SLACK_BOT_TOKEN: z
      .string()
      .trim()
      .regex(/^xoxb-/, 'must be a bot token starting with xoxb- (OAuth & Permissions → Bot User OAuth Token)')
      .optional(),
    SLACK_APP_TOKEN: z
      .string()
      .trim()
      .regex(
        /^xapp-/,
        'must be an app-level token starting with xapp- (Basic Information → App-Level Tokens)',
      )
      .optional(),
    SLACK_SIGNING_SECRET: z
      .string()
      .trim()
      .min(16, 'must be the signing secret from Basic Information')
      .optional(),
    SLACK_API_URL: z
      .url({ message: 'must be a URL such as https://slack.com/api/' })
      .transform((u) => (u.endsWith('/') ? u : `${u}/`))
      .optional(),
    /** Where new incidents are announced: a channel id (C…) or a #name. */
    SLACK_ANNOUNCE_CHANNEL: z
      .string()
      .trim()
      .regex(/^(#?[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,})$/, 'must be a channel id (C0123ABC) or a #channel-name')
      .optional(),
  },
  echo: ['SLACK_API_URL', 'SLACK_ANNOUNCE_CHANNEL'],
  configured: (raw) => Boolean(raw.SLACK_BOT_TOKEN),
  problems(raw) {
    const out: string[] = [];
    if (raw.SLACK_BOT_TOKEN && !raw.SLACK_APP_TOKEN && !raw.SLACK_SIGNING_SECRET) {
      out.push(
        'SLACK_BOT_TOKEN: needs SLACK_APP_TOKEN (Socket Mode, the default) or SLACK_SIGNING_SECRET (HTTP mode at /slack/events)',
      );
    }
    for (const name of ['SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_ANNOUNCE_CHANNEL'] as const) {
      if (raw[name] && !raw.SLACK_BOT_TOKEN) out.push(`${name}: set, but SLACK_BOT_TOKEN is missing`);
    }
    return out;
  },
  settings: (e): SlackSettings | undefined =>
    e.SLACK_BOT_TOKEN
      ? {
          mode: e.SLACK_APP_TOKEN ? 'socket' : 'http',
          botToken: e.SLACK_BOT_TOKEN,
          appToken: e.SLACK_APP_TOKEN,
          signingSecret: e.SLACK_SIGNING_SECRET,
          apiUrl: e.SLACK_API_URL,
          announceChannel: e.SLACK_ANNOUNCE_CHANNEL,
        }
      : undefined,
  secrets: (s) => [s.botToken, s.appToken, s.signingSecret],
  async create(settings, { logger }) {
    const { SlackChat } = await import('./adapter.ts');
    return new SlackChat({ ...settings, logger });
  },
  mount(router, platform) {
    // HTTP mode: Slack posts to /slack/events on the bot's own server, signed (checked there).
    const receiver = (platform as { httpReceiver?: { handle(req: unknown, res: unknown): void } })
      .httpReceiver;
    if (!receiver) return;
    router.on('POST', '/slack/events', async (req, res) => {
      receiver.handle(req, res);
    });
  },
});
