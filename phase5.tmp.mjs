const t0 = performance.now(); const c0 = process.cpuUsage();
const lap = (l) => { const c = process.cpuUsage(c0); console.log(l.padEnd(28), 'wall', (performance.now() - t0).toFixed(0), 'cpu', ((c.user + c.system) / 1000).toFixed(0)); };
const m = await import('./dist/server/index.js'); lap('import server');
const s = await m.createMarketplaceServer({ memory: true, port: 0 }); lap('server up');
await s.close(); lap('closed');
const { PGlite } = await import('@electric-sql/pglite');
const { readFileSync } = await import('node:fs');
const d = new PGlite({ loadDataDir: new Blob([readFileSync('dist/pglite-snapshot.tar.gz')]) }); await d.waitReady; lap('2nd pglite only'); await d.close();
