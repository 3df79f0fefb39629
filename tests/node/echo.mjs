// Echo check for phttp with Node's ws client and permessage-deflate: it
// sends text and binary messages of many sizes, expects each back intact,
// and measures the bytes a 1 MiB compressible message takes on the wire
// each way. It prints one JSON line with its findings and exits 0, or
// prints the failure and exits 1. Run by tests/websocket/node_test.go.
import WebSocket from 'ws';

const url = process.argv[2];
const sizes = [0, 1, 63, 64, 125, 126, 1000, 65535, 65536, 1 << 20, 4 << 20];

function compressible(n) {
  const words = 'the loop owns every socket and writes queued frames with writev while other goroutines send'.split(' ');
  let seed = 7, s = '';
  while (s.length < n) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    s += words[seed % words.length] + ' ';
  }
  return Buffer.from(s.slice(0, n));
}

function random(n) {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
const timer = setTimeout(() => fail('timed out'), 60000);
function fail(msg) {
  console.log('FAIL ' + msg);
  process.exit(1);
}
ws.on('error', (e) => fail('error: ' + e.message));

function echo(payload, binary) {
  return new Promise((resolve, reject) => {
    ws.once('message', (data, isBinary) => {
      if (isBinary !== binary) return reject(new Error(`type: got binary=${isBinary}`));
      if (!Buffer.from(data).equals(payload)) return reject(new Error(`payload of ${payload.length} bytes came back as ${data.length}`));
      resolve();
    });
    ws.send(payload, { binary });
  });
}

ws.on('open', async () => {
  try {
    for (const n of sizes) {
      await echo(compressible(n), false);
      await echo(compressible(n), true);
      await echo(random(n), true);
    }
    const sock = ws._socket;
    const up0 = sock.bytesWritten, down0 = sock.bytesRead;
    await echo(compressible(1 << 20), false);
    const result = { extensions: ws.extensions, up: sock.bytesWritten - up0, down: sock.bytesRead - down0 };
    console.log(JSON.stringify(result));
    clearTimeout(timer);
    ws.close(1000);
    ws.on('close', () => process.exit(0));
  } catch (e) {
    fail(e.message);
  }
});
