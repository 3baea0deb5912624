import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { imageRuntime } from '../../bench/live-memory.js';

const ENTRY = 'ENTRYPOINT ["/nodejs/bin/node", "--flag-a", "--flag-b=1", "bin/source-affinity.js"]';

// The benchmark runs the extender as the image does: the ENTRYPOINT's flags and the runtime stage's ENV.
describe('bench: the Node.js flags and environment of the image', () => {
  const cases: { name: string; dockerfile: string; want: ReturnType<typeof imageRuntime> | string }[] = [
    {
      name: 'flags between the node binary and the script; ENV of the runtime stage only',
      dockerfile: [
        'FROM node:24 AS build',
        'ENV BUILD_ONLY=1',
        'RUN true',
        'FROM gcr.io/distroless/nodejs24-debian12',
        'ENV NODE_ENV=production',
        'ENV A=1 B=x=y',
        ENTRY,
      ].join('\n'),
      want: { flags: ['--flag-a', '--flag-b=1'], env: { NODE_ENV: 'production', A: '1', B: 'x=y' } },
    },
    {
      name: 'no ENV: an empty environment',
      dockerfile: ['FROM scratch', ENTRY].join('\n'),
      want: { flags: ['--flag-a', '--flag-b=1'], env: {} },
    },
    {
      name: 'a quoted value is refused, not read wrongly',
      dockerfile: ['FROM scratch', 'ENV A="two words"', ENTRY].join('\n'),
      want: 'Dockerfile: ENV A="two words": only unquoted KEY=VALUE settings are read',
    },
    {
      name: 'a runtime stage without the ENTRYPOINT is refused',
      dockerfile: ['FROM node:24 AS build', ENTRY, 'FROM scratch', 'ENV A=1'].join('\n'),
      want: 'Dockerfile: no ENTRYPOINT ["node", …flags, "bin/source-affinity.js"]',
    },
    {
      name: 'an ENTRYPOINT that does not run the extender is refused',
      dockerfile: ['FROM scratch', 'ENTRYPOINT ["/nodejs/bin/node", "other.js"]'].join('\n'),
      want: 'Dockerfile: ENTRYPOINT does not run bin/source-affinity.js',
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      if (typeof tc.want === 'string') expect(() => imageRuntime(tc.dockerfile)).to.throw(tc.want);
      else expect(imageRuntime(tc.dockerfile)).to.deep.equal(tc.want);
    });
  }

  it("reads the product's Dockerfile", () => {
    const image = imageRuntime(readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8'));
    expect(image).to.deep.equal({
      flags: ['--max-semi-space-size=4', '--initial-old-space-size=128', '--external-memory-accounted-in-global-limit'],
      env: { NODE_ENV: 'production', GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=134217728' },
    });
  });
});
