# Native nftables: an inet table with a drop policy, a verdict map on ct state, named sets and a
# named verdict map, a jump to a chain that returns, a rate-limited log, reject with tcp reset;
# a second base chain at a later priority that drops 8443.
cat > /tmp/fix502-fixture.nft <<'NFT'
table inet fix502_filter {
  set web_clients {
    type ipv4_addr
    flags interval
    elements = { 192.0.2.0/24, 10.20.0.0/16 }
  }
  map port_verdicts {
    type inet_service : verdict
    elements = { 9200 : drop, 9300 : accept }
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ct state vmap { established : accept, related : accept, invalid : drop }
    iif "lo" tcp dport 8000 counter drop comment "drop the backend port on lo"
    iifname "lo" accept
    tcp dport 22 accept
    meta l4proto tcp th dport { 443, 8443 } accept
    ip saddr @web_clients tcp dport 80 accept
    tcp dport 9000-9100 jump backends
    tcp dport vmap @port_verdicts
    ip6 nexthdr ipv6-icmp accept
    tcp flags & (fin|syn|rst|ack) != syn drop
    limit rate 5/minute log prefix "nft drop: "
    meta l4proto tcp reject with tcp reset
  }
  chain backends {
    ip saddr 10.0.0.0/8 return
    tcp dport != 9050 reject with icmpx admin-prohibited
  }
}
table ip fix502_late {
  chain input {
    type filter hook input priority 10; policy accept;
    tcp dport 8443 drop
    fib daddr type { broadcast, multicast } drop
  }
}
NFT
nft -f /tmp/fix502-fixture.nft
rm /tmp/fix502-fixture.nft
