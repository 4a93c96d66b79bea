/**
 * What Discord refuses in a message body (docs: Message → Create Message, Embed Limits, Button),
 * answered the way Discord answers: 400 with code 50035 "Invalid Form Body" and the field.
 */
export function messageProblem(body: Record<string, any>, files = 0): string | undefined {
  const content = body.content ?? '';
  if (typeof content !== 'string') return 'content: must be a string';
  if (content.length > 2000) return 'content: Must be 2000 or fewer in length.';
  const embeds = (body.embeds ?? []) as Record<string, any>[];
  const components = (body.components ?? []) as Record<string, any>[];
  if (!content && embeds.length === 0 && components.length === 0 && files === 0 && !body.poll) {
    return 'Cannot send an empty message (50006)';
  }
  if (embeds.length > 10) return 'embeds: Must be 10 or fewer in length.';
  let total = 0;
  for (const [i, e] of embeds.entries()) {
    const title = e.title ?? '';
    const description = e.description ?? '';
    const footer = e.footer?.text ?? '';
    if (title.length > 256) return `embeds.${i}.title: Must be 256 or fewer in length.`;
    if (description.length > 4096) return `embeds.${i}.description: Must be 4096 or fewer in length.`;
    if (footer.length > 2048) return `embeds.${i}.footer.text: Must be 2048 or fewer in length.`;
    const fields = (e.fields ?? []) as { name: string; value: string }[];
    if (fields.length > 25) return `embeds.${i}.fields: Must be 25 or fewer in length.`;
    for (const [j, f] of fields.entries()) {
      if (!f.name || f.name.length > 256) return `embeds.${i}.fields.${j}.name: Must be 1-256 in length.`;
      if (!f.value || f.value.length > 1024)
        return `embeds.${i}.fields.${j}.value: Must be 1-1024 in length.`;
      total += f.name.length + f.value.length;
    }
    total += title.length + description.length + footer.length;
  }
  if (total > 6000) return 'embeds: Embed size exceeds maximum size of 6000';
  if (components.length > 5) return 'components: Must be 5 or fewer in length.';
  const ids = new Set<string>();
  for (const [i, row] of components.entries()) {
    if (row.type !== 1) return `components.${i}.type: must be an action row`;
    const buttons = (row.components ?? []) as Record<string, any>[];
    if (buttons.length < 1 || buttons.length > 5) return `components.${i}.components: Must be 1-5 in length.`;
    for (const [j, b] of buttons.entries()) {
      if (b.type !== 2) continue;
      if (!b.custom_id || b.custom_id.length > 100)
        return `components.${i}.components.${j}.custom_id: Must be 1-100 in length.`;
      if (ids.has(b.custom_id))
        return `components.${i}.components.${j}.custom_id: Component custom id must be unique`;
      ids.add(b.custom_id);
      if (!b.label || b.label.length > 80)
        return `components.${i}.components.${j}.label: Must be 1-80 in length.`;
      if (![1, 2, 3, 4].includes(b.style)) return `components.${i}.components.${j}.style: invalid style`;
    }
  }
  return undefined;
}

/** Text channel names: 1-100 characters, lowercase, no spaces (Discord lowercases them itself). */
export function channelNameProblem(name: unknown, type: number): string | undefined {
  if (typeof name !== 'string' || name.length < 1 || name.length > 100)
    return 'name: Must be 1-100 in length.';
  if (type === 0 && !/^[^\sA-Z]+$/.test(name)) return 'name: text channel names are lowercase without spaces';
  return undefined;
}

/**
 * The nonce of Create Message: an integer, or a string of up to 25 characters (docs: Message →
 * Create Message). Answered as Discord answers a bad field: 50035 with the field's errors.
 */
export function nonceProblem(body: Record<string, any>): Record<string, unknown> | undefined {
  const nonce = body.nonce;
  if (nonce === undefined || nonce === null) return undefined;
  const bad = (code: string, message: string) => ({ nonce: { _errors: [{ code, message }] } });
  if (typeof nonce === 'number')
    return Number.isInteger(nonce) ? undefined : bad('NUMBER_TYPE_COERCE', 'Value is not int.');
  if (typeof nonce !== 'string') return bad('BASE_TYPE_STRING', 'Value must be a string or an integer.');
  if (nonce.length > 25) return bad('BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
  return undefined;
}
