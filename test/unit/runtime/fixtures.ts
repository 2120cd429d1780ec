// Output of one measured run of the Go cnitool v1.2.3 with the reference plugins 1.1.1 (network
// anchornet: bridge + host-local + portmap, netns /run/netns/anch-ctr), byte for byte.
export const SAMPLE_CACHE =
  '{"kind":"cniCacheV1","containerId":"cnitool-a5831365d127c410296b","config":"ewogICJjbmlWZXJzaW9uIjogIjEuMC4wIiwKICAibmFtZSI6ICJhbmNob3JuZXQiLAogICJwbHVnaW5zIjogWwogICAgewogICAgICAidHlwZSI6ICJicmlkZ2UiLAogICAgICAiYnJpZGdlIjogImFuY2hicjAiLAogICAgICAiaXNHYXRld2F5IjogdHJ1ZSwKICAgICAgImlwTWFzcSI6IHRydWUsCiAgICAgICJpcGFtIjogewogICAgICAgICJ0eXBlIjogImhvc3QtbG9jYWwiLAogICAgICAgICJzdWJuZXQiOiAiMTAuMTIzLjQ1LjAvMjQiLAogICAgICAgICJkYXRhRGlyIjogIi90bXAvcmVzZWFyY2gvbWVhc3VyZS9pcGFtIiwKICAgICAgICAicm91dGVzIjogWyB7ICJkc3QiOiAiMC4wLjAuMC8wIiB9IF0KICAgICAgfQogICAgfSwKICAgIHsKICAgICAgInR5cGUiOiAicG9ydG1hcCIsCiAgICAgICJjYXBhYmlsaXRpZXMiOiB7ICJwb3J0TWFwcGluZ3MiOiB0cnVlIH0KICAgIH0KICBdCn0K","ifName":"eth0","networkName":"anchornet","netns":"/run/netns/anch-ctr","capabilityArgs":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"},{"containerPort":53,"hostPort":5353,"protocol":"udp"}]},"result":{"cniVersion":"1.0.0","interfaces":[{"mac":"3e:b8:a6:93:ca:09","name":"anchbr0"},{"mac":"32:d7:d5:ab:75:7a","name":"veth345512d3"},{"mac":"a6:80:c3:68:6e:6b","name":"eth0","sandbox":"/run/netns/anch-ctr"}],"ips":[{"address":"10.123.45.2/24","gateway":"10.123.45.1","interface":2}],"routes":[{"dst":"0.0.0.0/0"}]}}';

export const SAMPLE_ADD_STDOUT = `{
    "cniVersion": "1.0.0",
    "interfaces": [
        {
            "mac": "3e:b8:a6:93:ca:09",
            "name": "anchbr0"
        },
        {
            "mac": "32:d7:d5:ab:75:7a",
            "name": "veth345512d3"
        },
        {
            "mac": "a6:80:c3:68:6e:6b",
            "name": "eth0",
            "sandbox": "/run/netns/anch-ctr"
        }
    ],
    "ips": [
        {
            "address": "10.123.45.2/24",
            "gateway": "10.123.45.1",
            "interface": 2
        }
    ],
    "routes": [
        {
            "dst": "0.0.0.0/0"
        }
    ]
}`;

/** What the last plugin (portmap 1.1.1) printed: struct order, name before mac, empty dns. */
export const SAMPLE_PLUGIN_STDOUT = JSON.stringify(
  {
    cniVersion: '1.0.0',
    interfaces: [
      { name: 'anchbr0', mac: '3e:b8:a6:93:ca:09' },
      { name: 'veth345512d3', mac: '32:d7:d5:ab:75:7a' },
      { name: 'eth0', mac: 'a6:80:c3:68:6e:6b', sandbox: '/run/netns/anch-ctr' },
    ],
    ips: [{ interface: 2, address: '10.123.45.2/24', gateway: '10.123.45.1' }],
    routes: [{ dst: '0.0.0.0/0' }],
    dns: {},
  },
  null,
  4,
);
