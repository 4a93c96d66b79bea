/**
 * Who a message notifies, by Slack's rules (docs.slack.dev, "Formatting text for app surfaces":
 * mentioning users, user groups and special mentions). Live mentions are the tokens `<@U…>`
 * (optionally `|label`), `<!subteam^S…>` and `<!here>`, `<!channel>`, `<!everyone>` in a message's
 * `text` and in its `mrkdwn` text objects (section text and fields, context elements), and the
 * `user`, `usergroup` and `broadcast` elements of rich_text blocks. `plain_text` (headers, button
 * labels) is never parsed, and an escaped token (`&lt;@U1&gt;`) is shown literally. A new message
 * notifies the people it mentions; an edit notifies nobody, so tests read a message's mentions.
 */
export interface FakeMentions {
  /** Users mentioned by id, in order, without repeats. */
  readonly users: string[];
  /** User groups mentioned (`<!subteam^…>`). */
  readonly groups: string[];
  /** `here`, `channel`, `everyone`. */
  readonly broadcasts: string[];
}

const TOKEN = /<(@[UW][A-Z0-9]+|!subteam\^[A-Z0-9]+|!here|!channel|!everyone)(?:\|[^<>]*)?>/g;

function fromText(text: string, out: { users: Set<string>; groups: Set<string>; broadcasts: Set<string> }) {
  for (const m of text.matchAll(TOKEN)) {
    const t = m[1]!;
    if (t.startsWith('@')) out.users.add(t.slice(1));
    else if (t.startsWith('!subteam^')) out.groups.add(t.slice('!subteam^'.length));
    else out.broadcasts.add(t.slice(1));
  }
}

function walk(
  node: unknown,
  out: { users: Set<string>; groups: Set<string>; broadcasts: Set<string> },
): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, out);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (o.type === 'mrkdwn' && typeof o.text === 'string') fromText(o.text, out);
  if (o.type === 'user' && typeof o.user_id === 'string') out.users.add(o.user_id);
  if (o.type === 'usergroup' && typeof o.usergroup_id === 'string') out.groups.add(o.usergroup_id);
  if (o.type === 'broadcast' && typeof o.range === 'string') out.broadcasts.add(o.range);
  for (const [k, v] of Object.entries(o)) if (k !== 'text' || typeof v !== 'string') walk(v, out);
}

/** The live mentions of a message with this `text` and these `blocks`. */
export function mentionsOf(text: string, blocks: unknown): FakeMentions {
  const out = { users: new Set<string>(), groups: new Set<string>(), broadcasts: new Set<string>() };
  fromText(text, out);
  walk(blocks, out);
  return { users: [...out.users], groups: [...out.groups], broadcasts: [...out.broadcasts] };
}
