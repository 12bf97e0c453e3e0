/// <reference lib="dom" />
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { computeIntegrity, packDirectory } from '@ggen/marketplace-core';
import { formatKeyId, generateSecretKey, publicKeyLine } from '@ggen/marketplace-v2';
import { TokenStore } from '@ggen/registry-server';
import { closeServers, post, serve, signed, tempDir } from './support.js';

/**
 * The site, as a browser and a client see it: a real registry server on 127.0.0.1 over a
 * registry published through it (a signed scoped pack, a hostile one), read over HTTP and in
 * Debian's Chromium, headless.
 */

const CHROMIUM = process.env.GGEN_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), '..', '..', 'dist', 'site-screenshots');
// A would-be script in the hostile README calls this URL if it ever runs; the server counts the calls.
const CANARY = '/canary-hit';

const key = generateSecretKey();
const keyId = formatKeyId(key.keyId);
const canaryHits: string[] = [];
let url = '';
let adminToken = '';

const HOSTILE_README = [
  '# Hostile',
  `<script>window.__pwned = 1; fetch('${CANARY}?script')</script>`,
  `<img src=x onerror="window.__pwned = 2; fetch('${CANARY}?img')">`,
  `[click me](javascript:window.__pwned=3)`,
  `<a href="javascript:fetch('${CANARY}?a')" onclick="window.__pwned = 4">raw link</a>`,
  `<svg onload="window.__pwned = 5"><script>fetch('${CANARY}?svg')</script></svg>`,
  `<iframe src="javascript:fetch('${CANARY}?iframe')"></iframe>`,
  '<style>body { display: none }</style>',
  `![huge](${CANARY}?image)`,
  `<div style="background:url(${CANARY}?style)">styled</div>`,
  '',
  'Some **bold** text and a [fine link](https://example.org/docs).',
  '',
  // Ten megabytes of text after it: the page shows the start and says it was cut.
  ...Array.from({ length: 190_000 }, (_, index) => `line ${index} of a very long README that goes on and on`),
].join('\n');

/** A pack directory with a gpack.yaml, a README and a template, packed as publish packs it. */
async function pack(manifest: string, readme: string): Promise<Buffer> {
  const dir = tempDir('ggen-site-pack-');
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'gpack.yaml'), manifest);
  writeFileSync(join(dir, 'README.md'), readme);
  writeFileSync(join(dir, 'templates', 'main.tmpl'), 'fn {{ name }}() {}\n');
  return (await packDirectory(dir)).bytes;
}

const signedManifest = (version: string): string => `name: '@acme/signed-pack'
version: ${version}
description: A signed pack for services
author: Ada Lovelace
license: MIT
category: backend
keywords: [service, signed]
templates: [templates/main.tmpl]
variables:
  service_name:
    type: string
    required: true
    description: the service's name
repository: https://github.com/acme/signed-pack
`;

async function publishFixtures(): Promise<void> {
  const dir = tempDir('ggen-site-registry-');
  url = await serve(dir, {
    before: (app) => {
      app.addHook('onRequest', (request, _reply, done) => {
        if (request.url.startsWith(CANARY)) canaryHits.push(request.url);
        done();
      });
    },
  });
  const { token } = await new TokenStore(dir).create({ scope: 'admin' });
  adminToken = token;
  const readme =
    '# Signed pack\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```sh\nggen marketplace install @acme/signed-pack\n```\n';
  for (const version of ['1.0.0', '1.1.0']) {
    const archive = await pack(signedManifest(version), readme);
    const extras = signed(key, archive, '@acme/signed-pack', version, computeIntegrity(archive));
    const answer = await post(url, 'publish', { archive: archive.toString('base64'), ...extras }, token);
    expect([answer.status, answer.body.error]).toEqual([201, undefined]);
  }
  // An unsigned pack with two versions, the older deprecated (a signed pack's changes need its owner's signature).
  for (const version of ['1.0.0', '1.1.0']) {
    const archive = await pack(`name: plain-pack\nversion: ${version}\ndescription: A plain pack\n`, '# Plain\n');
    expect((await post(url, 'publish', { archive: archive.toString('base64') }, token)).status).toBe(201);
  }
  const deprecated = await post(
    url,
    'lifecycle/plain-pack',
    { change: { action: 'deprecate', range: '1.0.0', message: 'use 1.1.0' } },
    token,
  );
  expect(deprecated.body.error).toBeUndefined();
  const hostile = await pack(
    `name: hostile-pack
version: 0.1.0
description: "Looks \\u202Eeulb\\u202C fine \\u001b[31m red"
author: "<b>Mallory</b><script>x()</script>"
repository: "javascript:alert(1)"
dependencies:
  "@acme/signed-pack": ^1.0.0
`,
    HOSTILE_README,
  );
  const answer = await post(url, 'publish', { archive: hostile.toString('base64') }, token);
  expect([answer.status, answer.body.error]).toEqual([201, undefined]);
}

const page = async (
  path: string,
  accept = 'text/html',
): Promise<{ status: number; body: string; headers: Headers }> => {
  const response = await fetch(`${url}${path}`, { headers: { accept } });
  return { status: response.status, body: await response.text(), headers: response.headers };
};

beforeAll(publishFixtures, 120_000);
afterAll(closeServers);

describe('the site over HTTP', () => {
  it('serves a home page with the packs, under a CSP that allows nothing inline or remote', async () => {
    const home = await page('/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = home.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(home.body).toContain('href="/package/@acme/signed-pack"');
    expect(home.body).toMatch(/Recently published[\s\S]*hostile-pack/);
    // Revalidated with its ETag: a 304.
    const tag = home.headers.get('etag') ?? '';
    expect(tag).not.toBe('');
    expect((await fetch(`${url}/`, { headers: { 'if-none-match': tag } })).status).toBe(304);
  });

  it('shows a package: install command, versions with marks, signature by the whole key, owners, dependents', async () => {
    const { status, body } = await page('/package/@acme/signed-pack');
    expect(status).toBe(200);
    expect(body).toContain(
      '<code id="install-command" class="command">ggen marketplace install @acme/signed-pack</code>',
    );
    expect(body).toContain('data-signature="signed"');
    expect(body).toContain(`href="/key/${keyId}"`);
    expect(body).toContain(publicKeyLine(key));
    expect(body).toMatch(/Scope <a href="\/scope\/@acme">@acme<\/a>/);
    expect(body).toMatch(/1\.0\.0<\/a>\n<time[^>]*>\d{4}-\d\d-\d\d<\/time> <span class="mark signed">signed<\/span>/);
    expect(body).toMatch(/Dependents \(1\)[\s\S]*href="\/package\/hostile-pack"/);
    expect(body).toContain('<code>templates/main.tmpl</code>');
    expect(body).toContain('<code>service_name</code>');
    // The README from the archive, its heading under the page's own h1, its table and code kept.
    expect(body).toContain('<h2>Signed pack</h2>');
    expect(body).toContain('<table>');
    // An older version has its own address, with its install command pinned, and its marks.
    const older = await page('/package/plain-pack?version=1.0.0');
    expect(older.body).toContain('ggen marketplace install plain-pack@1.0.0');
    expect(older.body).toContain('Deprecated: use 1.1.0');
    expect(older.body).toContain('<span class="mark deprecated" title="use 1.1.0">deprecated</span>');
  });

  it('shows what changed since a page was last made: a version yanked, then restored', async () => {
    const marked = /<span class="mark yanked"[^>]*>yanked<\/span>/;
    const before = await page('/package/plain-pack?version=1.1.0');
    expect(before.body).not.toMatch(marked);
    const yank = async (undo: boolean): Promise<void> => {
      const answer = await post(
        url,
        'lifecycle/plain-pack',
        { change: { action: 'yank', version: '1.1.0', undo } },
        adminToken,
      );
      expect([answer.status, answer.body.error]).toEqual([200, undefined]);
    };
    await yank(false);
    expect((await page('/package/plain-pack?version=1.1.0')).body).toMatch(marked);
    await yank(true);
    expect((await page('/package/plain-pack?version=1.1.0')).body).not.toMatch(marked);
  });

  it('keeps a hostile README and hostile metadata inert, and cuts a 10 MB README', async () => {
    const { status, body } = await page('/package/hostile-pack');
    expect(status).toBe(200);
    const readme = body.slice(
      body.indexOf('<h2 id="readme">'),
      body.indexOf('</section>', body.indexOf('<h2 id="readme">')),
    );
    expect(readme).toContain('<strong>bold</strong>');
    expect(readme).toContain('<a href="https://example.org/docs" rel="nofollow noopener noreferrer ugc">fine link</a>');
    // Raw HTML in the README is shown as text (escaped); no element of it, no event attribute, no script link is markup.
    expect(readme).toContain('&lt;script&gt;window.__pwned = 1;');
    expect(readme).not.toMatch(/<(script|svg|iframe|style|img|object|embed|form)\b/i);
    expect(readme).not.toMatch(/<[^>]+\s(on\w+|style)=/i);
    expect(readme).not.toMatch(/<a\b[^>]*href="\s*javascript:/i);
    // Only the site's own script is on the page.
    expect(body.match(/<script/g)).toHaveLength(1);
    expect(body).toContain('The README is longer than this page shows.');
    expect(body.length).toBeLessThan(1024 * 1024);
    // Bidi overrides and control characters never reach the page; markup in a field is text.
    // eslint-disable-next-line no-control-regex -- the control characters are what the page must not carry
    expect(body).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u0000-\u0008\u001b]/);
    expect(body).toContain('Looks ?eulb? fine ?[31m red');
    expect(body).toContain('&lt;b&gt;Mallory&lt;/b&gt;&lt;script&gt;x()&lt;/script&gt;');
    // A repository that is not http(s) is shown, not linked.
    expect(body).toContain('<dd>javascript:alert(1)</dd>');
    expect(body).toContain('data-signature="unsigned"');
  });

  it('searches with the CLI filters, sort and pages, at shareable URLs', async () => {
    const all = await page('/search?q=pack&sort=name');
    expect(all.status).toBe(200);
    const names = [...all.body.matchAll(/<h2><a href="\/package\/([^"]+)">/g)].map((match) => match[1]);
    expect(names).toEqual(['@acme/signed-pack', 'hostile-pack', 'plain-pack']);
    const filtered = await page('/search?q=&category=backend');
    expect([...filtered.body.matchAll(/<h2><a href="\/package\/([^"]+)">/g)].map((match) => match[1])).toEqual([
      '@acme/signed-pack',
    ]);
    const second = await page('/search?q=pack&sort=name&limit=1&page=2');
    expect(second.body).toContain('<h2><a href="/package/hostile-pack">');
    expect(second.body).toContain('rel="prev" href="/search?q=pack&amp;sort=name"');
    expect(second.body).toContain('page 2 of 3');
    expect(second.body).toContain('rel="next" href="/search?q=pack&amp;sort=name&amp;page=3"');
    // The same engine as the API: the same names in the same order.
    const api = (await (await fetch(`${url}/-/v1/search?q=pack&sort=name`)).json()) as { packages: { name: string }[] };
    expect(api.packages.map((entry) => entry.name)).toEqual(names);
  });

  it('shows a scope page and a key page, and says what is not there as a page with its status', async () => {
    const scope = await page('/scope/@acme');
    expect(scope.status).toBe(200);
    expect(scope.body).toContain(publicKeyLine(key));
    expect(scope.body).toContain('href="/package/@acme/signed-pack"');
    const keyPage = await page(`/key/${keyId}`);
    expect(keyPage.status).toBe(200);
    expect(keyPage.body).toMatch(/Owns \(1\)[\s\S]*signed-pack[\s\S]*Signed \(2\)/);
    const missing = await page('/package/no-such-pack');
    expect([missing.status, missing.headers.get('content-type')]).toEqual([404, 'text/html; charset=utf-8']);
    expect(missing.body).toContain('There is no pack named no-such-pack');
    expect((await page('/scope/@nobody')).status).toBe(404);
    expect((await page('/key/0000000000000000')).status).toBe(404);
    expect((await page('/search?limit=9999')).status).toBe(400);
    expect((await page('/nothing-here')).body).toContain('<h1>Not found</h1>');
    // A client (no text/html) still gets the coded error.
    const json = await page('/nothing-here', 'application/json');
    expect(JSON.parse(json.body)).toMatchObject({ error: { code: 'GGEN_E_PACKAGE_NOT_FOUND' } });
  });
});

describe('the site in Chromium', () => {
  let browser: Browser;
  const axeSource = (): string => {
    const require = createRequire(import.meta.url);
    return require('node:fs').readFileSync(join(dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8') as string;
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it), or set GGEN_CHROMIUM`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // As the machine notes say: no sandbox as root, and no background connections to a closed network.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser.close();
  });

  /** A page opened in a fresh context, with every console error and page error collected. */
  async function open(context: BrowserContext, path: string): Promise<{ page: Page; errors: string[] }> {
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    tab.on('pageerror', (error) => errors.push(error.message));
    await tab.goto(`${url}${path}`, { waitUntil: 'load' });
    return { page: tab, errors };
  }

  const desktop = { viewport: { width: 1280, height: 900 } };
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

  it('loads every page with no console error, at desktop and phone width, and writes screenshots', async () => {
    const pages = {
      home: '/',
      search: '/search?q=pack',
      package: '/package/@acme/signed-pack',
      hostile: '/package/hostile-pack',
      scope: '/scope/@acme',
      key: `/key/${keyId}`,
    };
    for (const [width, options] of Object.entries({ desktop, phone })) {
      const context = await browser.newContext(options);
      for (const [name, path] of Object.entries(pages)) {
        const { page: tab, errors } = await open(context, path);
        expect({ path, errors }).toEqual({ path, errors: [] });
        // Readable at this width: nothing wider than the viewport.
        const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect({ path, width, overflow }).toEqual({ path, width, overflow: 0 });
        if (['home', 'search', 'package'].includes(name))
          await tab.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: name !== 'package' });
        await tab.close();
      }
      await context.close();
    }
    for (const name of ['home', 'search', 'package'])
      for (const width of ['desktop', 'phone'])
        expect(existsSync(join(SCREENSHOTS, `${name}-${width}.png`))).toBe(true);
  }, 180_000);

  it('finds a pack typed into the search box, with the keyboard, and shows its signed status', async () => {
    const context = await browser.newContext(desktop);
    const { page: tab, errors } = await open(context, '/');
    // `/` reaches the search box (the site's script), Enter submits it.
    await tab.keyboard.press('/');
    expect(await tab.evaluate(() => document.activeElement?.id)).toBe('q');
    await tab.keyboard.type('signed');
    await Promise.all([tab.waitForURL(/\/search\?q=signed/), tab.keyboard.press('Enter')]);
    const result = tab.locator('ol.results a[href="/package/@acme/signed-pack"]');
    expect(await result.count()).toBe(1);
    await Promise.all([tab.waitForURL(/\/package\/@acme\/signed-pack$/), result.click()]);
    const status = tab.locator('[data-signature]');
    expect(await status.getAttribute('data-signature')).toBe('signed');
    expect(await status.textContent()).toContain(keyId);
    // The copy button the script adds beside the install command.
    expect(await tab.locator('.install button').textContent()).toBe('Copy');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('runs nothing from a hostile README', async () => {
    const context = await browser.newContext(desktop);
    const { page: tab, errors } = await open(context, '/package/hostile-pack');
    await tab.waitForLoadState('networkidle');
    // Clicking what is left of the links runs nothing either.
    for (const link of await tab.locator('.markdown a').all()) {
      const href = (await link.getAttribute('href')) ?? '';
      expect(href).toMatch(/^(https?:|mailto:|#|\/canary-hit\?image$)/);
    }
    expect(await tab.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(
      await tab.locator('.markdown script, .markdown svg, .markdown iframe, .markdown img, .markdown style').count(),
    ).toBe(0);
    expect(await tab.evaluate(() => getComputedStyle(document.body).display)).toBe('block');
    expect(canaryHits).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('has no serious or critical accessibility violation (axe-core), in light and dark themes', async () => {
    const source = axeSource();
    const report: Record<string, { violations: Record<string, string[]>; passes: number }> = {};
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ ...desktop, colorScheme });
      for (const path of ['/', '/search?q=pack', '/package/@acme/signed-pack', '/package/hostile-pack']) {
        const { page: tab } = await open(context, path);
        await tab.evaluate(source);
        const result = (await tab.evaluate(() =>
          (window as unknown as { axe: { run: () => Promise<unknown> } }).axe.run(),
        )) as { violations: { id: string; impact: string | null }[]; passes: unknown[] };
        const serious = result.violations.filter((violation) =>
          ['serious', 'critical'].includes(violation.impact ?? ''),
        );
        expect({ path, colorScheme, serious: serious.map((violation) => violation.id) }).toEqual({
          path,
          colorScheme,
          serious: [],
        });
        const byImpact: Record<string, string[]> = {};
        for (const violation of result.violations) (byImpact[violation.impact ?? 'none'] ??= []).push(violation.id);
        report[`${colorScheme} ${path}`] = { violations: byImpact, passes: result.passes.length };
        await tab.close();
      }
      if (colorScheme === 'dark') {
        const { page: tab } = await open(context, '/');
        await tab.screenshot({ path: join(SCREENSHOTS, 'home-desktop-dark.png'), fullPage: true });
        await tab.close();
      }
      await context.close();
    }
    writeFileSync(join(SCREENSHOTS, 'axe.json'), `${JSON.stringify(report, null, 2)}\n`);
    expect(Object.keys(report)).toHaveLength(8);
  }, 180_000);
});
