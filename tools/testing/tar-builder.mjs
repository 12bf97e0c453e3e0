// Builds raw .tgz bytes entry by entry, including entries a safe packer never writes
// (links out, links to links, paths twice): the archives an attacker would serve.
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export function buildTgz(entries) {
  const blocks = [];
  for (const { content, ...data } of entries) {
    const body = content === undefined ? Buffer.alloc(0) : Buffer.from(content);
    const header = new Header({
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: new Date(0),
      type: 'File',
      size: body.length,
      ...data,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
