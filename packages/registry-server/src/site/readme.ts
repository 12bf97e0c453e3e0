/**
 * A pack's README as a page shows it: Markdown rendered by markdown-it with raw HTML off, then
 * cut down by sanitize-html to an allow-list of inert elements. Scripts, event attributes,
 * styles, SVG, iframes and forms never reach the page; links keep only http(s), mailto and
 * in-page targets and open nothing with the page's privileges; images become links (a README's
 * remote image would load from anywhere, of any size: the page's CSP allows none).
 */
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { safeText } from '@ggen/marketplace-core';

/** The most README text a page renders; the rest is cut, and the page says so. */
export const README_RENDER_LIMIT = 256 * 1024;

const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });

const ALLOWED_TAGS = [
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'p',
  'br',
  'hr',
  'blockquote',
  'pre',
  'code',
  'em',
  'strong',
  'del',
  's',
  'ul',
  'ol',
  'li',
  'a',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
];

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  // No style attribute: the page's CSP refuses inline styles, and a README's styles could hide or dress up text.
  allowedAttributes: { a: ['href', 'title', 'rel'], ol: ['start'], code: ['class'] },
  allowedClasses: { code: [/^language-[a-z0-9+-]{1,32}$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    // Headings move one level down: the page's own h1 is the package name.
    h1: 'h2',
    h2: 'h3',
    h3: 'h4',
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, rel: 'nofollow noopener noreferrer ugc' },
    }),
  },
};

// An image is shown as a link to it, named by its alt text: nothing is fetched when the page loads.
markdown.renderer.rules.image = (tokens, index) => {
  const token = tokens[index];
  const src = String(token?.attrGet('src') ?? '');
  const alt = token?.children?.map((child) => child.content).join('') ?? '';
  return `<a href="${markdown.utils.escapeHtml(src)}">${markdown.utils.escapeHtml(`image: ${alt || src}`)}</a>`;
};

export interface RenderedReadme {
  html: string;
  /** The README was longer than README_RENDER_LIMIT and was cut. */
  truncated: boolean;
}

/** A README (Markdown, from an archive or the catalog) as sanitised HTML. */
export function renderReadme(text: string): RenderedReadme {
  const truncated = text.length > README_RENDER_LIMIT;
  const source = safeText(truncated ? text.slice(0, README_RENDER_LIMIT) : text, true);
  return { html: sanitizeHtml(markdown.render(source), SANITIZE), truncated };
}
