import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';

/** Debian's chromium, or CHROMIUM_PATH; the test fails loudly without one (.ci/run installs it). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  await access(executablePath).catch(() => {
    throw new Error(`No Chromium at ${executablePath}: apt-get install chromium (as .ci/run does), or set CHROMIUM_PATH.`);
  });
  // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
  return puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/**
 * A page of the Temporal UI driven as a person would: by what is visible. Each step leaves a
 * screenshot, and a failing one also the page's HTML, in the artifacts dir (gitignored).
 */
export class UiDriver {
  private count = 0;

  constructor(
    readonly page: Page,
    readonly base: string,
    private readonly artifacts: string,
  ) {}

  static async open(browser: Browser, base: string, artifacts: string): Promise<UiDriver> {
    await mkdir(artifacts, { recursive: true });
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    page.setDefaultTimeout(60_000);
    return new UiDriver(page, base, artifacts);
  }

  /** Runs one step of the path; its screenshot is named after it. */
  async step<T>(name: string, action: () => Promise<T>): Promise<T> {
    this.count += 1;
    const file = path.join(this.artifacts, `${String(this.count).padStart(2, '0')}-${name}`);
    try {
      const value = await action();
      await this.page.screenshot({ path: `${file}.png`, fullPage: true });
      return value;
    } catch (err) {
      await this.page.screenshot({ path: `${file}-FAILED.png`, fullPage: true }).catch(() => undefined);
      await writeFile(`${file}-FAILED.html`, await this.page.content().catch(() => '')).catch(() => undefined);
      throw err;
    }
  }

  /** The UI long-polls, so a page is never network-idle: wait for what the step needs instead. */
  async goto(urlPath: string): Promise<void> {
    await this.page.goto(`${this.base}${urlPath}`, { waitUntil: 'domcontentloaded' });
  }

  /** The one visible element among those matching (the UI renders some controls twice). */
  async visible(selector: string, timeoutMs = 60_000): Promise<ElementHandle> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const handle of await this.page.$$(selector)) if (await handle.boundingBox()) return handle;
      if (Date.now() > deadline) throw new Error(`nothing visible matches ${selector} after ${timeoutMs / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Waits for a link whose address contains `hrefPart`. */
  async waitForLink(hrefPart: string, timeoutMs = 60_000): Promise<void> {
    await this.page.waitForSelector(`a[href*=${JSON.stringify(hrefPart)}]`, { timeout: timeoutMs });
  }

  async clickButton(text: string): Promise<void> {
    await (await this.visible(`xpath/.//button[normalize-space(.)="${text}"]`)).click();
  }

  async waitForText(text: string, timeoutMs = 60_000): Promise<void> {
    // A string expression: it runs in the page, where `document` exists (this project has no DOM types).
    await this.page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(text)})`, { timeout: timeoutMs });
  }

  /**
   * Picks `option` in one of the UI's select menus and checks the menu now shows it. The menu
   * opens with a short scale animation; a click aimed while it grows can land on the next
   * option (CI sent rejectDeploy for approveDeploy), so the choice is read back and retried.
   */
  async choose(button: string, input: string, option: string): Promise<void> {
    let shown = '';
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await (await this.visible(button)).click();
      // The list's transition is 100 ms; aim once it has settled.
      await new Promise((resolve) => setTimeout(resolve, 400));
      await (await this.visible(`xpath/.//li[@role="option"][normalize-space(.)=${JSON.stringify(option)}]`)).click();
      await new Promise((resolve) => setTimeout(resolve, 300));
      shown = await this.chosen(input);
      if (shown === option) return;
    }
    throw new Error(`after 5 tries the menu at ${button} shows ${shown}, not ${option}`);
  }

  /** What the visible select input shows (the UI renders a hidden copy of each dialog). */
  async chosen(input: string): Promise<string> {
    return (await this.visible(input)).evaluate((e) => (e as unknown as { value: string }).value);
  }

  /**
   * Types JSON into one of the UI's CodeMirror editors in one insertion (typed key by key, the
   * editor would close brackets and quotes a second time). The editor is found afresh on each
   * try: the signal dialog re-renders its editor once the chosen signal's details load, and
   * text sent to the replaced editor is lost (seen on a loaded CI machine).
   */
  async typeJson(selector: string, json: string): Promise<void> {
    let text = '';
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const editor = await this.visible(selector);
      await editor.click();
      // Keys sent while the editor lacks focus reach whatever has it: the dialog's signal list
      // took "r" from the text as type-ahead and switched approveDeploy to rejectDeploy.
      if (!(await editor.evaluate((e) => e.contains(e.ownerDocument.activeElement)))) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      // Whatever an earlier try left is replaced, not appended to.
      await this.page.keyboard.down('Control');
      await this.page.keyboard.press('a');
      await this.page.keyboard.up('Control');
      await this.page.keyboard.sendCharacter(json);
      await new Promise((resolve) => setTimeout(resolve, 500));
      text = (await (await this.visible(selector)).evaluate((e) => e.textContent)) ?? '';
      if (text === json) return;
    }
    throw new Error(`after 5 tries the editor at ${selector} holds ${text}, not ${json}`);
  }

  /** The whole text of every read-only CodeMirror editor on the page (each renders only the lines in view). */
  async editorTexts(): Promise<string[]> {
    return this.page.$$eval('[contenteditable="false"][data-language="json"]', (editors) =>
      editors.map((e) => {
        const view = (e as unknown as { cmView?: { view?: { state: { doc: { toString(): string } } } } }).cmView?.view;
        return view ? view.state.doc.toString() : (e.textContent ?? '');
      }),
    );
  }
}
