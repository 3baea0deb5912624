import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { type CacheStat, createMetrics, DURATION_BUCKETS, metricsListener } from '../../src/observability/metrics.js';
import { call } from './support/client.js';

/** The sample lines of one metric family (name, or name_bucket/_sum/_count), comments dropped. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => /^[a-z_]+/.exec(l)?.[0].replace(/_(bucket|sum|count)$/, '') === name);
}

describe('Prometheus metrics', () => {
  it('renders request durations per verb and outcome with sub-millisecond to 5 s buckets', async () => {
    const m = createMetrics({ processMetrics: false });
    m.observer.request('filter', 'ok', 0.0003);
    m.observer.request('filter', 'ok', 0.002);
    m.observer.request('prioritize', 'bad_request', 7);
    const { body } = await m.render();
    const filterOk = samples(body, 'source_affinity_request_duration_seconds').filter((l) =>
      l.includes('verb="filter",outcome="ok"'),
    );
    const le = (b: number) => (b >= 0.0003 ? 1 : 0) + (b >= 0.002 ? 1 : 0);
    expect(filterOk).to.deep.equal([
      ...DURATION_BUCKETS.map(
        (b) => `source_affinity_request_duration_seconds_bucket{le="${b}",verb="filter",outcome="ok"} ${le(b)}`,
      ),
      'source_affinity_request_duration_seconds_bucket{le="+Inf",verb="filter",outcome="ok"} 2',
      'source_affinity_request_duration_seconds_sum{verb="filter",outcome="ok"} 0.0023',
      'source_affinity_request_duration_seconds_count{verb="filter",outcome="ok"} 2',
    ]);
    expect(DURATION_BUCKETS[0]).to.equal(0.0001);
    expect(DURATION_BUCKETS.at(-1)).to.equal(5);
    expect(body).to.include(
      'source_affinity_request_duration_seconds_bucket{le="+Inf",verb="prioritize",outcome="bad_request"} 1',
    );
  });

  it('counts filtered nodes, rejection reasons, fast paths and errors', async () => {
    const m = createMetrics({ processMetrics: false });
    m.observer.filterNodes(3, 2);
    m.observer.filterNodes(0, 4);
    m.observer.rejection('CloneSourceTopology');
    m.observer.rejection('CloneSourceTopology');
    m.observer.rejection('ClaimNotFound');
    m.observer.fastPath('filter');
    m.observer.fastPath('prioritize');
    m.observer.fastPath('filter');
    m.observer.error('decode');
    const { body } = await m.render();
    expect({
      nodes: samples(body, 'source_affinity_filter_nodes_total'),
      rejections: samples(body, 'source_affinity_rejections_total'),
      fastPath: samples(body, 'source_affinity_fast_path_total'),
      errors: samples(body, 'source_affinity_errors_total'),
    }).to.deep.equal({
      nodes: [
        'source_affinity_filter_nodes_total{result="passed"} 3',
        'source_affinity_filter_nodes_total{result="failed"} 6',
      ],
      rejections: [
        'source_affinity_rejections_total{reason="CloneSourceTopology"} 2',
        'source_affinity_rejections_total{reason="ClaimNotFound"} 1',
      ],
      fastPath: [
        'source_affinity_fast_path_total{verb="filter"} 2',
        'source_affinity_fast_path_total{verb="prioritize"} 1',
      ],
      errors: ['source_affinity_errors_total{kind="decode"} 1'],
    });
  });

  it('reads cache object counts and sync state from the store at every scrape', async () => {
    let stats: CacheStat[] = [
      { resource: 'nodes', objects: 3, synced: true, lastSyncSeconds: 1700000000 },
      { resource: 'volumesnapshots', objects: 0, synced: false },
    ];
    const m = createMetrics({ processMetrics: false, cacheStats: () => stats });
    const scrape = async () => {
      const { body } = await m.render();
      return {
        objects: samples(body, 'source_affinity_cache_objects'),
        synced: samples(body, 'source_affinity_cache_synced'),
        last: samples(body, 'source_affinity_cache_last_sync_timestamp_seconds'),
      };
    };
    expect(await scrape()).to.deep.equal({
      objects: [
        'source_affinity_cache_objects{resource="nodes"} 3',
        'source_affinity_cache_objects{resource="volumesnapshots"} 0',
      ],
      synced: [
        'source_affinity_cache_synced{resource="nodes"} 1',
        'source_affinity_cache_synced{resource="volumesnapshots"} 0',
      ],
      last: ['source_affinity_cache_last_sync_timestamp_seconds{resource="nodes"} 1700000000'],
    });
    stats = [{ resource: 'nodes', objects: 4, synced: true, lastSyncSeconds: 1700000060 }];
    expect(await scrape()).to.deep.equal({
      objects: ['source_affinity_cache_objects{resource="nodes"} 4'],
      synced: ['source_affinity_cache_synced{resource="nodes"} 1'],
      last: ['source_affinity_cache_last_sync_timestamp_seconds{resource="nodes"} 1700000060'],
    });
  });

  it('survives a cache stats callback that throws', async () => {
    const m = createMetrics({
      processMetrics: false,
      cacheStats: () => {
        throw new Error('store gone');
      },
    });
    const { body } = await m.render();
    expect(samples(body, 'source_affinity_cache_objects')).to.deep.equal([]);
  });

  it('exports build info, TLS expiry and reloads, and process metrics on its own registry', async () => {
    const a = createMetrics({ version: '1.2.3' });
    const b = createMetrics({ processMetrics: false });
    a.tlsCertificateLoaded(1800000000);
    a.tlsReload('ok');
    a.tlsHandshakeError();
    const { body, contentType } = await a.render();
    expect(contentType).to.match(/^text\/plain; version=0\.0\.4/);
    expect({
      build: samples(body, 'source_affinity_build_info'),
      notAfter: samples(body, 'source_affinity_tls_certificate_not_after_seconds'),
      reloads: samples(body, 'source_affinity_tls_reloads_total'),
      handshakeErrors: samples(body, 'source_affinity_tls_handshake_errors_total'),
      process: ['process_cpu_seconds_total', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes'].map(
        (n) => samples(body, n).length,
      ),
    }).to.deep.equal({
      build: ['source_affinity_build_info{version="1.2.3"} 1'],
      notAfter: ['source_affinity_tls_certificate_not_after_seconds 1800000000'],
      reloads: [
        'source_affinity_tls_reloads_total{result="ok"} 1',
        'source_affinity_tls_reloads_total{result="error"} 0',
      ],
      handshakeErrors: ['source_affinity_tls_handshake_errors_total 1'],
      process: [1, 1, 1],
    });
    // Two instances in one process do not share series; without TLS there is no expiry series.
    const other = (await b.render()).body;
    expect(samples(other, 'source_affinity_tls_certificate_not_after_seconds')).to.deep.equal([]);
    expect(samples(other, 'source_affinity_build_info')).to.deep.equal([
      'source_affinity_build_info{version="unknown"} 1',
    ]);
    expect(samples(other, 'process_cpu_seconds_total')).to.deep.equal([]);
  });

  it('GET /metrics renders the registry; HEAD has no body; other methods get 405', async () => {
    const m = createMetrics({ processMetrics: false, version: '9.9.9' });
    const server = createServer(metricsListener(m)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      const [get, head, post] = await Promise.all([
        call(url),
        call(url, { method: 'HEAD' }),
        call(url, { method: 'POST', body: '{}' }),
      ]);
      expect({
        get: [get.status, samples(get.body, 'source_affinity_build_info')],
        head: [head.status, head.headers['content-type'], head.body],
        post: [post.status, post.headers.allow],
      }).to.deep.equal({
        get: [200, ['source_affinity_build_info{version="9.9.9"} 1']],
        head: [200, 'text/plain; version=0.0.4; charset=utf-8', ''],
        post: [405, 'GET, HEAD'],
      });
    } finally {
      server.close();
    }
  });
});
