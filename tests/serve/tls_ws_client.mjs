// SPDX-License-Identifier: MIT
// tls_test.sh's WebSocket client: Node's own WebSocket (undici; node
// --experimental-websocket), trusting the test's certificate through
// NODE_EXTRA_CA_CERTS. Over wss:// to an instance of tutti serve: waits for
// the `ui` and `values` messages, sets gain by a `param` message and reads it
// back with GET .../controls (fetch over https), then sets it with PUT and
// waits for the `param` message the instance's control server sends for it.
// usage: node --experimental-websocket tls_ws_client.mjs BASE ID
const [base, id] = process.argv.slice(2);
const wsUrl = base.replace(/^https:/, "wss:") + `/v1/instances/${id}/ws`;
const control = `${base}/v1/instances/${id}/controls`;
const fail = (why) => {
    console.log(`FAIL: ${why}`);
    process.exit(1);
};
setTimeout(() => fail("timed out"), 15000);
const ws = new WebSocket(wsUrl);
let step = "ui";
const seen = [];
ws.onerror = (e) => fail(`WebSocket error: ${e.message ?? e}`);
ws.onmessage = async (e) => {
    const m = JSON.parse(e.data);
    seen.push(m.type);
    if (step === "ui" && m.type === "ui") {
        step = "values";
    } else if (step === "values" && m.type === "values") {
        step = "set";
        ws.send(JSON.stringify({type: "param", path: "/render_fx/gain", value: 0.375}));
        for (let i = 0; i < 100; i++) {
            const r = await (await fetch(`${control}?path=gain`)).json();
            if (r.value === 0.375) {
                console.log(`wss param -> GET controls: gain ${r.value}`);
                step = "echo";
                const put = await fetch(control, {
                    method: "PUT",
                    body: JSON.stringify({path: "gain", value: 0.125}),
                });
                if (!put.ok) fail(`PUT controls: ${put.status}`);
                return;
            }
            await new Promise((ok) => setTimeout(ok, 50));
        }
        fail("the value set over wss did not reach the instance");
    } else if (step === "echo" && m.type === "param" && m.value === 0.125) {
        console.log(`PUT controls -> wss param: ${m.path} ${m.value}`);
        console.log(`messages: ${seen.join(" ")}`);
        ws.close();
        process.exit(0);
    }
};
