# iptables (nf_tables backend, Debian's default): user chains, jumps and RETURN, multiport,
# conntrack, a rate-limited LOG, a DROP policy, and IPv6 rules.
iptables -N web
iptables -N ban
iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
iptables -A INPUT -j ban
iptables -A INPUT -p tcp -m multiport --dports 80,443,8080:8090 -j web
iptables -A INPUT -i lo -s 127.0.0.1 -p tcp --dport 8000 -m comment --comment "backend from lo" -j REJECT --reject-with tcp-reset
iptables -A INPUT ! -i lo -p tcp --dport 8000 -j DROP
iptables -A INPUT -m limit --limit 5/min -j LOG --log-prefix "fw-drop: "
iptables -A INPUT -i lo -j ACCEPT
iptables -A ban -s 198.51.100.0/24 -j DROP
iptables -A ban -s 203.0.113.7/32 -p tcp -j REJECT
iptables -A web -s 10.0.0.0/8 -j ACCEPT
iptables -A web -p tcp --dport 443 -j ACCEPT
iptables -A web -j RETURN
iptables -P INPUT DROP
ip6tables -A INPUT -i lo -j ACCEPT
ip6tables -A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
ip6tables -A INPUT -p tcp ! --syn -j ACCEPT
ip6tables -P INPUT DROP
