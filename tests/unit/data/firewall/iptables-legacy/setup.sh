# Rules in both iptables backends at once: the legacy one rejects the backend port on loopback,
# the nf_tables one drops port 443 from outside.
iptables-legacy -A INPUT -i lo -p tcp --dport 8000 -j REJECT
iptables-legacy -A INPUT -p tcp --dport 8000 -j DROP
iptables-nft -A INPUT -p tcp --dport 443 -j DROP
