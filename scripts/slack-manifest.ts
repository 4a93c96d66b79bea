/**
 * Writes manifest.yml, the Slack app manifest a user pastes when creating the app, from commands/:
 * one slash command per command group, with the scopes and bot events the Slack adapter uses.
 * Run: tsx scripts/slack-manifest.ts. test/chat/slack-manifest.test.ts fails when the file drifts.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Document, isScalar, isSeq } from 'yaml';
import { commands } from '../commands/index.ts';
import type { CommandDefinition } from '../src/commands/define.ts';

/** Bot token scopes, each with what the bot uses it for (written beside it in the manifest). */
export const BOT_SCOPES: Readonly<Record<string, string>> = {
  'channels:manage':
    'create, rename and archive public incident channels, set their topic, invite people (conversations.*)',
  'groups:write': 'the same for private incident channels (declare --private)',
  'channels:read':
    'look up public channels: a name taken by an archived channel, the announcement channel by #name; member_joined_channel',
  'groups:read': 'the same for private channels',
  'channels:history':
    'message.channels: messages, thread replies, edits and deletions in public incident channels',
  'groups:history': 'message.groups: the same in private incident channels',
  'chat:write': 'post and update the incident card, answers and ephemeral replies',
  'chat:write.public': 'announce in a public SLACK_ANNOUNCE_CHANNEL without joining it first',
  commands: 'the slash commands in features.slash_commands',
  'users:read': "users.info and users.list: names, @mentions, and each person's time zone for times shown",
  'usergroups:read': 'usergroups.list and usergroups.users.list: invite configured responder groups',
  'reactions:read': 'reaction_added/removed: a 📌 reaction marks a key event on the timeline',
  'pins:read': 'pin_added/removed: a pinned message is a key event on the timeline',
  'files:write': 'files.uploadV2: long output and exports posted as files',
};

/** Bot events, each with the scope Slack requires for it. */
export const BOT_EVENTS: Readonly<Record<string, string>> = {
  'message.channels': 'channels:history',
  'message.groups': 'groups:history',
  reaction_added: 'reactions:read',
  reaction_removed: 'reactions:read',
  pin_added: 'pins:read',
  pin_removed: 'pins:read',
  member_joined_channel: 'channels:read, groups:read',
};

const HEADER = `Slack app manifest for incident-bot. Generated from commands/ by scripts/slack-manifest.ts;
change that script or the command files and run it again (a test fails when this file drifts).

Create the app: api.slack.com/apps → Create New App → From an app manifest → paste this file.
The README's "Slack" section walks through it, step by step.

Socket Mode (the default below) needs no public URL: the bot connects out with SLACK_APP_TOKEN
(xapp-, an app-level token with connections:write) and calls the Web API with SLACK_BOT_TOKEN (xoxb-).

To switch to HTTP mode (a public HTTPS address reaches the bot's /slack/events):
  1. settings.socket_mode_enabled: false
  2. add  url: https://<your-host>/slack/events  to each slash command, and
     request_url: https://<your-host>/slack/events  under settings.event_subscriptions and
     under settings.interactivity (Slack checks the events URL when you save, so start the bot first)
  3. keep SLACK_BOT_TOKEN, set SLACK_SIGNING_SECRET (Basic Information → App Credentials) and drop
     SLACK_APP_TOKEN; HOST must then be reachable (not 127.0.0.1), which requires API_TOKEN.`;

const SHOULD_ESCAPE = `should_escape: Slack sends @mentions and #channels in the command text as ids (<@U123|bob>,
<#C123|name>), as Slack recommends, so "/incident assign commander @bob" names one person rather
than a guess by display name.`;

const NO_IM_WRITE = `Not requested: im:write. The bot never opens a direct message; answers meant for one person
are ephemeral (chat:write).`;

const USAGE_NAMES = 5;
/** The manifest schema allows 2,000 characters, but Slack's command picker shows one short line. */
const DESCRIPTION_MAX = 140;

function groupsOf(defs: readonly CommandDefinition[]): Map<string, CommandDefinition[]> {
  const groups = new Map<string, CommandDefinition[]>();
  for (const def of defs) groups.set(def.group, [...(groups.get(def.group) ?? []), def]);
  return groups;
}

/** One slash command per group; `/<group> help` works for every group (see CommandRegistry.resolve). */
export function slashCommands(defs: readonly CommandDefinition[]) {
  return [...groupsOf(defs)].map(([group, list]) => {
    const names = list.map((d) => d.name);
    const hint = names.slice(0, USAGE_NAMES);
    if (names.length > USAGE_NAMES) hint.push('…');
    if (!hint.includes('help')) hint.push('help');
    const title = `${group[0]!.toUpperCase()}${group.slice(1)}`;
    const description = `${title} commands: ${names.join(', ')}`;
    return {
      command: `/${group}`,
      description:
        description.length > DESCRIPTION_MAX ? `${description.slice(0, DESCRIPTION_MAX - 1)}…` : description,
      usage_hint: hint.join(' | '),
      should_escape: true,
    };
  });
}

export function buildManifest(defs: readonly CommandDefinition[]): string {
  const doc = new Document({
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name: 'incident-bot',
      description:
        'Incident channels, live incident cards, approval-gated mitigations and timelines for GPU and server fleets.',
      background_color: '#7f1d1d',
    },
    features: {
      bot_user: { display_name: 'incident-bot', always_online: true },
      slash_commands: slashCommands(defs),
    },
    oauth_config: { scopes: { bot: Object.keys(BOT_SCOPES) } },
    settings: {
      event_subscriptions: { bot_events: Object.keys(BOT_EVENTS) },
      interactivity: { is_enabled: true },
      org_deploy_enabled: false,
      socket_mode_enabled: true,
      token_rotation_enabled: false,
    },
  });
  doc.commentBefore = HEADER.split('\n')
    .map((l) => (l ? ` ${l}` : ''))
    .join('\n');

  const comment = (path: readonly string[], text: (value: string) => string) => {
    const seq = doc.getIn(path, true);
    if (!isSeq(seq)) throw new Error(`manifest: ${path.join('.')} is not a list`);
    for (const item of seq.items) if (isScalar(item)) item.comment = ` ${text(String(item.value))}`;
  };
  comment(['oauth_config', 'scopes', 'bot'], (scope) => BOT_SCOPES[scope] ?? '');
  comment(['settings', 'event_subscriptions', 'bot_events'], (event) => `needs ${BOT_EVENTS[event]}`);

  const before = (path: readonly string[], text: string) => {
    const parent = doc.getIn(path.slice(0, -1), true) as { items?: { key: unknown }[] } | undefined;
    const pair = parent?.items?.find((p) => isScalar(p.key) && p.key.value === path.at(-1));
    if (!pair || !isScalar(pair.key)) throw new Error(`manifest: no ${path.join('.')}`);
    pair.key.commentBefore = text
      .split('\n')
      .map((l) => ` ${l}`)
      .join('\n');
  };
  before(['features', 'slash_commands'], SHOULD_ESCAPE);
  const scopes = doc.getIn(['oauth_config', 'scopes', 'bot'], true);
  if (isSeq(scopes)) {
    scopes.comment = NO_IM_WRITE.split('\n')
      .map((l) => ` ${l}`)
      .join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = new URL('../manifest.yml', import.meta.url);
  writeFileSync(target, buildManifest(commands));
  console.log(`wrote ${target.pathname}`);
}
