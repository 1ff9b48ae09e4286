import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startDemoServer, type DemoServer } from '../support/browser.js';

/** Without the token printed by `clutch serve`, a browser gets neither the app nor the socket. */
let demo: DemoServer;
let browser: Browser;

beforeAll(async () => {
  demo = await startDemoServer({ trust: 'step' });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Opens a socket from the page and reports how it ends: 'open', or 'closed:CODE'. */
const trySocket = (query: string) =>
  new Promise<string>((resolve) => {
    const socket = new WebSocket(`ws://${location.host}/ws${query}`);
    socket.onopen = () => {
      socket.close();
      resolve('open');
    };
    socket.onclose = (event) => resolve(`closed:${event.code}`);
  });

describe('access to the web app', () => {
  it('refuses the page, and the socket, without the token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`http://127.0.0.1:${demo.server.port}/`);
    expect(response?.status()).toBe(401);
    expect(await page.locator('body').textContent()).toContain('unauthorized');
    expect(await page.locator('#root').count()).toBe(0);
    expect(await page.evaluate(trySocket, '')).toBe('closed:1006');
    expect(await page.evaluate(trySocket, '?token=not-the-token')).toBe('closed:1006');
    await context.close();
  });

  it('refuses a wrong token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`http://127.0.0.1:${demo.server.port}/?token=${'0'.repeat(64)}`);
    expect(response?.status()).toBe(401);
    expect(await page.getByTestId('app').count()).toBe(0);
    await context.close();
  });

  it('runs the whole app under its Content-Security-Policy: no violation, the board, the socket and the inspector work', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
    const response = await page.goto(demo.server.url);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.locator('[data-testid="connection"]', { hasText: 'live' }).waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="ticket-node-T1"][data-status="step_paused"]').waitFor({ timeout: 15_000 });
    // The inspector draws with elkjs, loaded as its own chunk: under the policy too.
    await page.getByTestId('tab-inspector').click();
    await page.locator('[data-testid="actor-row"][data-actor="worker:T1"]').click({ timeout: 15_000 });
    await page.locator('[data-testid="statechart"][data-actor="worker:T1"] [data-testid="state-node"]').first().waitFor({ state: 'visible', timeout: 30_000 });
    const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
    expect(violations).toEqual([]);
    expect(refused).toEqual([]);
    await context.close();
  });

  it('serves the app with the token, which the page then passes to its socket', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(demo.server.url);
    expect(response?.status()).toBe(200);
    await page.locator('[data-testid="connection"]', { hasText: 'live' }).waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="ticket-node-T1"][data-status="step_paused"]').waitFor({ timeout: 15_000 });
    expect(await page.evaluate(trySocket, `?token=${demo.server.token}`)).toBe('open');
    await context.close();
  });
});
