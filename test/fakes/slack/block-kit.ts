/**
 * The parts of Block Kit the fake checks and reads. Slack refuses blocks over its documented
 * limits with `invalid_blocks` and a `[ERROR] … [json-pointer:/blocks/…]` message; the fake does
 * the same for the limits an incident bot can hit (docs.slack.dev/reference/block-kit/blocks/…).
 */
export const LIMITS = {
  blocksPerMessage: 50,
  blocksPerModal: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  actionsElements: 25,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  modalTitle: 24,
  privateMetadata: 3000,
  callbackId: 255,
  messageText: 40_000,
} as const;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function textOf(v: unknown): string | undefined {
  return isObject(v) && typeof v.text === 'string' ? v.text : undefined;
}

/** Returns Slack-style error messages for blocks, empty when they are acceptable. */
export function blockErrors(blocks: unknown, maxBlocks: number = LIMITS.blocksPerMessage): string[] {
  const errors: string[] = [];
  const err = (pointer: string, what: string): void => {
    errors.push(`[ERROR] ${what} [json-pointer:${pointer}]`);
  };
  if (!Array.isArray(blocks)) {
    err('/blocks', 'must be an array');
    return errors;
  }
  if (blocks.length > maxBlocks) err('/blocks', `no more than ${maxBlocks} items allowed`);
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => {
    const at = `/blocks/${i}`;
    if (!isObject(block) || typeof block.type !== 'string') {
      err(at, 'missing required field: type');
      return;
    }
    if (typeof block.block_id === 'string') {
      if (block.block_id.length > LIMITS.blockId)
        err(`${at}/block_id`, `must be less than ${LIMITS.blockId + 1} characters`);
      if (blockIds.has(block.block_id)) err(`${at}/block_id`, 'duplicate block_id');
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case 'section': {
        const text = textOf(block.text);
        const fields = block.fields;
        if (text === undefined && !Array.isArray(fields)) err(at, 'must provide either text or fields');
        if (text !== undefined && text.length > LIMITS.sectionText)
          err(`${at}/text/text`, `must be less than ${LIMITS.sectionText + 1} characters`);
        if (text !== undefined && text.length === 0) err(`${at}/text/text`, 'must be more than 0 characters');
        if (Array.isArray(fields)) {
          if (fields.length > LIMITS.sectionFields)
            err(`${at}/fields`, `no more than ${LIMITS.sectionFields} items allowed`);
          fields.forEach((f, j) => {
            const t = textOf(f);
            if (t !== undefined && t.length > LIMITS.sectionFieldText)
              err(`${at}/fields/${j}/text`, `must be less than ${LIMITS.sectionFieldText + 1} characters`);
          });
        }
        break;
      }
      case 'header': {
        const text = textOf(block.text);
        if (!isObject(block.text) || block.text.type !== 'plain_text')
          err(`${at}/text`, 'must be a plain_text object');
        if (text !== undefined && text.length > LIMITS.headerText)
          err(`${at}/text/text`, `must be less than ${LIMITS.headerText + 1} characters`);
        break;
      }
      case 'actions': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) err(`${at}/elements`, 'must provide at least 1 item');
        if (elements.length > LIMITS.actionsElements)
          err(`${at}/elements`, `no more than ${LIMITS.actionsElements} items allowed`);
        elements.forEach((e, j) => {
          elementErrors(e, `${at}/elements/${j}`, err);
        });
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) err(`${at}/elements`, 'must provide at least 1 item');
        if (elements.length > LIMITS.contextElements)
          err(`${at}/elements`, `no more than ${LIMITS.contextElements} items allowed`);
        break;
      }
      default:
        break;
    }
    if (isObject(block.accessory)) elementErrors(block.accessory, `${at}/accessory`, err);
  });
  return errors;
}

function elementErrors(e: unknown, at: string, err: (pointer: string, what: string) => void): void {
  if (!isObject(e) || e.type !== 'button') return;
  const text = textOf(e.text);
  if (text === undefined) err(`${at}/text`, 'missing required field: text');
  else if (text.length > LIMITS.buttonText)
    err(`${at}/text/text`, `must be less than ${LIMITS.buttonText + 1} characters`);
  if (typeof e.value === 'string' && e.value.length > LIMITS.buttonValue)
    err(`${at}/value`, `must be less than ${LIMITS.buttonValue + 1} characters`);
  if (typeof e.action_id === 'string' && e.action_id.length > LIMITS.actionId)
    err(`${at}/action_id`, `must be less than ${LIMITS.actionId + 1} characters`);
  if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
    err(`${at}/style`, 'must be one of primary, danger');
  if (isObject(e.confirm)) {
    const c = e.confirm;
    const check = (key: string, max: number) => {
      const t = textOf(c[key]);
      if (t !== undefined && t.length > max)
        err(`${at}/confirm/${key}/text`, `must be less than ${max + 1} characters`);
    };
    check('title', LIMITS.confirmTitle);
    check('text', LIMITS.confirmText);
    check('confirm', LIMITS.confirmButton);
    check('deny', LIMITS.confirmButton);
  }
}

/** A button as it sits in a message's blocks. */
export interface FakeButton {
  readonly blockId: string | undefined;
  readonly actionId: string;
  readonly value: string | undefined;
  readonly label: string;
  readonly style: string | undefined;
  readonly confirm: Json | undefined;
  readonly url: string | undefined;
}

/** Every button in blocks: actions blocks' elements and section accessories. */
export function buttonsIn(blocks: readonly unknown[] | undefined): FakeButton[] {
  const out: FakeButton[] = [];
  const add = (e: unknown, blockId: string | undefined) => {
    if (!isObject(e) || e.type !== 'button') return;
    out.push({
      blockId,
      actionId: typeof e.action_id === 'string' ? e.action_id : '',
      value: typeof e.value === 'string' ? e.value : undefined,
      label: textOf(e.text) ?? '',
      style: typeof e.style === 'string' ? e.style : undefined,
      confirm: isObject(e.confirm) ? e.confirm : undefined,
      url: typeof e.url === 'string' ? e.url : undefined,
    });
  };
  for (const block of blocks ?? []) {
    if (!isObject(block)) continue;
    const blockId = typeof block.block_id === 'string' ? block.block_id : undefined;
    if (block.type === 'actions' && Array.isArray(block.elements))
      for (const e of block.elements) add(e, blockId);
    if (block.accessory) add(block.accessory, blockId);
  }
  return out;
}

/** All visible text in blocks, one line per text object (for assertions like `toContain`). */
export function textIn(blocks: readonly unknown[] | undefined): string {
  const lines: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      if ((v.type === 'mrkdwn' || v.type === 'plain_text' || v.type === 'text') && typeof v.text === 'string')
        lines.push(v.text);
      for (const [k, child] of Object.entries(v))
        if (k !== 'confirm' && typeof child === 'object') walk(child);
    }
  };
  walk(blocks ?? []);
  return lines.join('\n');
}
