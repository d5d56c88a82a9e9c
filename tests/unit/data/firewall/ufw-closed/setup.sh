# ufw active, deny incoming by default, only SSH allowed, and 443 denied outright: nginx's 80
# and 443 are closed to every client.
ufw default deny incoming
ufw allow 22/tcp
ufw deny 443/tcp
ufw --force enable
