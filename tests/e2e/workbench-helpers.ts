import type { Locator, Page } from 'playwright-core';

/**
 * Reading and typing into the app's CodeMirror editors from a browser test. An editor is the
 * element with the test id (CodeEditor's wrapper); its text is its rendered lines, so scroll it
 * into view first when it is long.
 */
export async function editorText(editor: Locator): Promise<string> {
  await editor.scrollIntoViewIfNeeded();
  return editor.evaluate((element) =>
    [...element.querySelectorAll(':scope .cm-content > .cm-line')].map((line) => line.textContent ?? '').join('\n'),
  );
}

/** Replaces the editor's whole text as a human would: focus, select all, delete, type (paste) the text. */
export async function fillEditor(page: Page, editor: Locator, text: string): Promise<void> {
  const content = editor.locator('.cm-content');
  await content.click();
  await page.keyboard.press('ControlOrMeta+a');
  // Deleted first: text typed over a selection of every line leaves an empty last line behind.
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  await page.waitForFunction(
    ({ element, expected }) => [...element!.querySelectorAll('.cm-content > .cm-line')].map((line) => line.textContent ?? '').join('\n') === expected,
    { element: await editor.elementHandle(), expected: text },
  );
}

export const WAIT = { timeout: 15_000 };

export const byTest = (id: string, attributes: Record<string, string> = {}) =>
  `[data-testid="${id}"]${Object.entries(attributes).map(([name, value]) => `[data-${name}="${value}"]`).join('')}`;

/** Waits until an element with the test id (and data-* attributes) is visible, and gives it. */
export async function shows(page: Page, id: string, attributes: Record<string, string> = {}): Promise<Locator> {
  const locator = page.locator(byTest(id, attributes)).first();
  await locator.waitFor({ state: 'visible', ...WAIT });
  return locator;
}
