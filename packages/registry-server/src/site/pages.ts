/**
 * The site's pages, rendered on the server from the same views the CLI prints (search results,
 * catalogPackageDetails): plain HTML that works without script; /-/site/app.js only adds a
 * copy button and the `/` shortcut. Every value from the registry goes through `html`.
 */
import type { PackageDetails, PackageSummary, SearchQuery, SearchResults } from '@ggen/marketplace-core';
import { html, packagePath, safeUrl, toHtml, type Markup } from './html.js';
import type { BoundedList, KeyRecord, Release } from './site-data.js';

export const SITE_ASSETS = '/-/site';

function layout(title: string, main: Markup, query = ''): string {
  return toHtml(html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · ggen marketplace</title>
<link rel="stylesheet" href="${SITE_ASSETS}/style.css">
<link rel="icon" href="${SITE_ASSETS}/icon.svg" type="image/svg+xml">
<script src="${SITE_ASSETS}/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/">ggen marketplace</a>
<form class="search" role="search" action="/search" method="get">
<label for="q" class="hidden-label">Search packs</label>
<input id="q" name="q" type="search" value="${query}" placeholder="Search packs" autocomplete="off" maxlength="256">
<button type="submit">Search</button>
</form>
</header>
<main id="main">
${main}
</main>
<footer class="bottom">Install with <code>ggen marketplace install &lt;name&gt;</code> ·
<a href="/-/v1/search?q=">JSON API</a></footer>
</body>
</html>
`);
}

const number = (value: number): string => value.toLocaleString('en-US');
const day = (iso: string | undefined): string => (iso === undefined ? '' : iso.slice(0, 10));

function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

/** "3" or "100+" for a list that was cut. */
const countOf = (list: BoundedList<unknown>): string => `${list.items.length}${list.more ? '+' : ''}`;

function packageLink(name: string, version?: string): Markup {
  return html`<a href="${packagePath(name, version)}">${name}</a>`;
}

function searchLink(field: 'author' | 'category' | 'keyword', value: string): Markup {
  return html`<a href="/search?${field}=${encodeURIComponent(value)}">${value}</a>`;
}

function nameList(names: BoundedList<string>, empty: string): Markup {
  if (names.items.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<ul class="plain">${names.items.map((name) => html`<li>${packageLink(name)}</li>`)}</ul>`;
}

function keyList(keys: string[]): Markup {
  return html`<ul class="keys">${keys.map((key) => html`<li><code class="key">${key}</code></li>`)}</ul>`;
}

function summaryItem(pkg: PackageSummary): Markup {
  const meta = [
    pkg.author === undefined ? undefined : html`by ${searchLink('author', pkg.author)}`,
    pkg.license,
    `${number(pkg.downloads)} downloads`,
  ].filter((part) => part !== undefined);
  return html`<li class="result">
<h2>${packageLink(pkg.name)} <span class="version">${pkg.version}</span>${
    pkg.yanked === true ? html` <span class="mark yanked">yanked</span>` : ''
  }</h2>
<p>${pkg.description}</p>
<p class="meta">${meta.map((part, index) => html`${index === 0 ? '' : ' · '}${part}`)}</p>
</li>`;
}

function releaseList(title: string, id: string, releases: Release[]): Markup {
  const items = releases.map(
    (release) => html`<li>${packageLink(release.name, release.version)} <span class="version">${release.version}</span>
<time datetime="${release.publishedAt}">${day(release.publishedAt)}</time></li>`,
  );
  return html`<section aria-labelledby="${id}">
<h2 id="${id}">${title}</h2>
${items.length === 0 ? html`<p class="empty">Nothing yet.</p>` : html`<ol class="compact">${items}</ol>`}
</section>`;
}

export function homePage(data: {
  total: number;
  popular: PackageSummary[];
  published: Release[];
  updated: Release[];
}): string {
  const popular = data.popular.map(
    (pkg) => html`<li>${packageLink(pkg.name)} <span class="version">${pkg.version}</span>
<span class="count">${number(pkg.downloads)}</span></li>`,
  );
  return layout(
    'Home',
    html`<section class="hero">
<h1>Code-generation packs</h1>
<p>${number(data.total)} packs. Search them, read them, install them with <code>ggen marketplace install</code>.</p>
</section>
<div class="columns">
<section aria-labelledby="popular">
<h2 id="popular">Most downloaded</h2>
<ol class="compact">${popular}</ol>
</section>
${releaseList('Recently published', 'published', data.published)}
${releaseList('Recently updated', 'updated', data.updated)}
</div>`,
  );
}

/** What a search page's URL carries: the CLI's filters, sort and a page number. */
export interface SearchPageQuery {
  query: SearchQuery;
  page: number;
}

function searchUrl(query: SearchQuery, page: number): string {
  const params = new URLSearchParams();
  if (query.text !== '') params.set('q', query.text);
  for (const field of ['category', 'keyword', 'author', 'license'] as const) {
    const value = query[field];
    if (value !== undefined) params.set(field, value);
  }
  if (query.sort !== 'relevance') params.set('sort', query.sort);
  if (query.order !== undefined) params.set('order', query.order);
  if (page > 1) params.set('page', String(page));
  return `/search?${params.toString()}`;
}

export function searchPage({ query, page }: SearchPageQuery, results: SearchResults): string {
  const pages = Math.max(1, Math.ceil(results.total / query.limit));
  const filter = (field: 'category' | 'keyword' | 'author' | 'license', label: string): Markup =>
    html`<label>${label} <input name="${field}" value="${query[field] ?? ''}" maxlength="128"></label>`;
  const sorts = (['relevance', 'downloads', 'stars', 'name'] as const).map((sort) =>
    sort === query.sort
      ? html`<option value="${sort}" selected>${sort}</option>`
      : html`<option value="${sort}">${sort}</option>`,
  );
  const title = query.text === '' ? 'All packs' : `Search: ${query.text}`;
  const status = `${number(results.total)} ${results.total === 1 ? 'pack' : 'packs'}${
    results.total === 0 ? '' : ` · page ${page} of ${number(pages)}`
  }`;
  return layout(
    title,
    html`<h1>${title}</h1>
<form class="filters" action="/search" method="get" aria-label="Filters">
<input type="hidden" name="q" value="${query.text}">
${filter('category', 'Category')}
${filter('keyword', 'Keyword')}
${filter('author', 'Author')}
${filter('license', 'License')}
<label>Sort <select name="sort">${sorts}</select></label>
<button type="submit">Apply</button>
</form>
<p class="total" role="status">${status}</p>
<ol class="results">${results.packages.map(summaryItem)}</ol>
<nav class="pager" aria-label="Pages">
${page > 1 ? html`<a rel="prev" href="${searchUrl(query, page - 1)}">Previous</a>` : ''}
${page < pages ? html`<a rel="next" href="${searchUrl(query, page + 1)}">Next</a>` : ''}
</nav>`,
    query.text,
  );
}

export interface SignatureView {
  /** The key id the catalog records for the shown version (a label), and the owner key of that id. */
  keyId?: string;
  publicKey?: string;
  /** The package's owners from its verified key statements (whole keys). */
  owners: string[];
  /** Why the owners could not be verified, or why an install would refuse them. */
  chainProblem?: string;
  scope?: { name: string; owners: string[] };
}

export interface PackagePageData {
  /** The version shown, as `ggen marketplace info` shows it (catalogPackageDetails). */
  details: PackageDetails;
  readme?: { html: Markup; truncated: boolean; excerpt: boolean };
  dependents: BoundedList<string>;
  signature: SignatureView;
}

function signatureSection(signature: SignatureView, version: string): Markup {
  const status =
    signature.keyId === undefined
      ? html`<p class="mark unsigned" data-signature="unsigned">Not signed: ${version} was published without a signature.</p>`
      : html`<p class="mark signed" data-signature="signed">Signed by key <a href="/key/${signature.keyId}"><code>${
          signature.keyId
        }</code></a></p>
${signature.publicKey === undefined ? '' : html`<p>Public key: <code class="key">${signature.publicKey}</code></p>`}`;
  const scope =
    signature.scope === undefined
      ? ''
      : html`<h3>Scope <a href="/scope/${signature.scope.name}">${signature.scope.name}</a></h3>
${signature.scope.owners.length === 0 ? html`<p class="empty">The scope is not claimed.</p>` : keyList(signature.scope.owners)}`;
  return html`<section aria-labelledby="signature">
<h2 id="signature">Signature</h2>
${status}
<h3>Owners</h3>
${signature.chainProblem === undefined ? '' : html`<p class="mark warning">${signature.chainProblem}</p>`}
${
  signature.owners.length === 0
    ? html`<p class="empty">No owner keys: whoever may publish here could publish its next version.</p>`
    : keyList(signature.owners)
}
${scope}
</section>`;
}

function readmeSection(readme: PackagePageData['readme']): Markup {
  const body =
    readme === undefined
      ? html`<p class="empty">This pack has no README.</p>`
      : html`${readme.excerpt ? html`<p class="note">The first lines, as the catalog records them.</p>` : ''}
<div class="markdown">${readme.html}</div>
${readme.truncated ? html`<p class="note">The README is longer than this page shows.</p>` : ''}`;
  return html`<section aria-labelledby="readme" class="readme">
<h2 id="readme">README</h2>
${body}
</section>`;
}

function contentsSections(details: PackageDetails): Markup {
  const templates = details.templates ?? [];
  const variables = Object.entries(details.variables ?? {});
  return html`${
    templates.length === 0
      ? ''
      : html`<section aria-labelledby="templates"><h2 id="templates">Templates</h2>
<ul class="files">${templates.map((file) => html`<li><code>${file}</code></li>`)}</ul></section>`
  }${
    variables.length === 0
      ? ''
      : html`<section aria-labelledby="variables"><h2 id="variables">Variables</h2>
<dl class="variables">${variables.map(
          ([name, value]) =>
            html`<dt><code>${name}</code></dt><dd>${typeof value === 'string' ? value : JSON.stringify(value)}</dd>`,
        )}</dl></section>`
  }`;
}

function fact(term: string, value: Markup | string | undefined): Markup {
  return value === undefined || value === '' ? html`` : html`<dt>${term}</dt><dd>${value}</dd>`;
}

function link(url: string | undefined): Markup | string | undefined {
  const safe = safeUrl(url);
  // A link that is not http(s) is shown as text, never followed.
  return safe === undefined ? url : html`<a href="${safe}" rel="nofollow noopener">${safe}</a>`;
}

function factsList(details: PackageDetails): Markup {
  const size =
    details.size === undefined
      ? undefined
      : `${bytes(details.size)}${details.unpackedSize === undefined ? '' : ` (${bytes(details.unpackedSize)} unpacked)`}`;
  const keywords = details.keywords.map(
    (keyword, index) => html`${index === 0 ? '' : ', '}${searchLink('keyword', keyword)}`,
  );
  const published = details.publishedAt;
  return html`<dl class="facts">
${fact('License', details.license)}
${fact('Author', details.author === undefined ? undefined : searchLink('author', details.author))}
${fact('Category', details.category === undefined ? undefined : searchLink('category', details.category))}
${fact('Repository', link(details.repository))}
${fact('Homepage', link(details.homepage))}
${fact('Published', published === undefined ? undefined : html`<time datetime="${published}">${day(published)}</time>`)}
${fact('Size', size)}
${fact('Downloads', number(details.downloads))}
${fact('Integrity', details.integrity === undefined ? undefined : html`<code class="digest">${details.integrity}</code>`)}
${fact('Keywords', keywords.length === 0 ? undefined : html`${keywords}`)}
</dl>`;
}

function versionItem(name: string, entry: PackageDetails['versions'][number]): Markup {
  const marks = html`${entry.yanked ? html` <span class="mark yanked">yanked</span>` : ''}${
    entry.deprecated === undefined
      ? ''
      : html` <span class="mark deprecated" title="${entry.deprecated}">deprecated</span>`
  }${entry.signature === undefined ? '' : html` <span class="mark signed">signed</span>`}`;
  return html`<li><a href="${packagePath(name, entry.version)}">${entry.version}</a>
<time datetime="${entry.publishedAt ?? ''}">${day(entry.publishedAt)}</time>${marks}</li>`;
}

function sideSections(details: PackageDetails, dependents: BoundedList<string>): Markup {
  const tags = Object.entries(details.distTags ?? {}).map(
    ([tag, version]) => html`<li><span class="tag">${tag}</span> ${packageLink(details.name, version)}
<span class="version">${version}</span></li>`,
  );
  const dependencies = Object.entries(details.dependencies);
  return html`<section aria-labelledby="tags"><h2 id="tags">Dist-tags</h2><ul class="plain">${tags}</ul></section>
<section aria-labelledby="versions"><h2 id="versions">Versions</h2>
<ul class="plain versions">${details.versions.map((entry) => versionItem(details.name, entry))}</ul></section>
<section aria-labelledby="dependencies"><h2 id="dependencies">Dependencies (${dependencies.length})</h2>${
    dependencies.length === 0
      ? html`<p class="empty">None.</p>`
      : html`<ul class="plain">${dependencies.map(([name, range]) => html`<li>${packageLink(name)} <code>${range}</code></li>`)}</ul>`
  }</section>
<section aria-labelledby="dependents"><h2 id="dependents">Dependents (${countOf(dependents)})</h2>
${nameList(dependents, 'None.')}</section>`;
}

export function packagePage(data: PackagePageData): string {
  const { details } = data;
  const shown = details.versions.find((entry) => entry.version === details.version);
  const spec = details.version === details.distTags?.latest ? details.name : `${details.name}@${details.version}`;
  return layout(
    details.name,
    html`<article class="package">
<header class="package-head">
<h1>${details.name} <span class="version">${details.version}</span></h1>
<p class="description">${details.description}</p>
${shown?.yanked === true ? html`<p class="mark yanked">This version is yanked: no new install picks it.</p>` : ''}
${details.deprecated === undefined ? '' : html`<p class="mark deprecated">Deprecated: ${details.deprecated}</p>`}
<div class="install"><span>Install</span> <code id="install-command" class="command">ggen marketplace install ${spec}</code></div>
</header>
<div class="package-body">
<div class="package-main">
${signatureSection(data.signature, details.version)}
${readmeSection(data.readme)}
${contentsSections(details)}
</div>
<aside class="package-side" aria-label="About this pack">
${factsList(details)}
${sideSections(details, data.dependents)}
</aside>
</div>
</article>`,
  );
}

export function scopePage(
  scope: string,
  owners: string[],
  chainProblem: string | undefined,
  packages: BoundedList<string>,
): string {
  return layout(
    scope,
    html`<h1>Scope ${scope}</h1>
<section aria-labelledby="owners"><h2 id="owners">Owners</h2>
${chainProblem === undefined ? '' : html`<p class="mark warning">${chainProblem}</p>`}
${owners.length === 0 ? html`<p class="empty">No one has claimed this scope.</p>` : keyList(owners)}</section>
<section aria-labelledby="scope-packages"><h2 id="scope-packages">Packs (${countOf(packages)})</h2>
${nameList(packages, 'No packs in this scope.')}</section>`,
  );
}

export function keyPage(keyId: string, record: KeyRecord): string {
  const owned = record.owns.items.map(
    (pkg) => html`<li>${packageLink(pkg.name)} <span class="version">${pkg.latest}</span></li>`,
  );
  const signed = record.signed.items.map(
    (entry) => html`<li>${packageLink(entry.name, entry.version)} <span class="version">${entry.version}</span></li>`,
  );
  return layout(
    `Key ${keyId}`,
    html`<h1>Key <code>${keyId}</code></h1>
<p class="note">A key id is a label for people; a key is known by its whole public key.</p>
${record.publicKeys.length > 1 ? html`<p class="mark warning">${record.publicKeys.length} different keys share this id.</p>` : ''}
${record.publicKeys.length === 0 ? html`<p class="empty">The registry records no public key with this id.</p>` : keyList(record.publicKeys)}
<section aria-labelledby="owns"><h2 id="owns">Owns (${countOf(record.owns)})</h2>
${owned.length === 0 ? html`<p class="empty">No packs.</p>` : html`<ul class="plain">${owned}</ul>`}</section>
<section aria-labelledby="signed"><h2 id="signed">Signed (${countOf(record.signed)})</h2>
${signed.length === 0 ? html`<p class="empty">No versions.</p>` : html`<ul class="plain">${signed}</ul>`}</section>`,
  );
}

/** A page that says what went wrong and what to do (a coded error's message and hint). */
export function errorPage(status: number, message: string, hint: string): string {
  return layout(
    status === 404 ? 'Not found' : 'Error',
    html`<h1>${status === 404 ? 'Not found' : 'Something went wrong'}</h1>
<p class="error-message">${message}</p>
${hint === '' ? '' : html`<p class="hint">${hint}</p>`}
<p><a href="/">Back to the home page</a></p>`,
  );
}
