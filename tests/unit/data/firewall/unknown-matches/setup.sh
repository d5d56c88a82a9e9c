# Matches fix502 cannot tell: a random drop (statistic) on 8000, a rate limit that accepts on 8001
# while the next rule accepts too (the verdict is the same either way), and a mark that decides 8002
# in native nftables, where a prerouting chain sets that mark for some clients.
iptables -A INPUT -p tcp --dport 8000 -m statistic --mode random --probability 0.5 -j DROP
iptables -A INPUT -p tcp --dport 8001 -m limit --limit 10/second -j ACCEPT
iptables -A INPUT -p tcp --dport 8001 -j ACCEPT
iptables -A INPUT -p tcp --dport 8001 -j DROP
nft add table inet fix502_marks
nft add chain inet fix502_marks input '{ type filter hook input priority 5; policy accept; }'
nft add rule inet fix502_marks input meta mark 0x1 tcp dport 8002 drop
nft add chain inet fix502_marks pre '{ type filter hook prerouting priority -150; policy accept; }'
nft add rule inet fix502_marks pre ip saddr 192.0.2.0/24 meta mark set 0x1
