# ufw active, deny incoming by default; SSH and 443 allowed, 8000 denied, 80 only from 10.1.0.0/16.
ufw default deny incoming
ufw allow 22/tcp
ufw allow 443/tcp
ufw deny 8000/tcp
ufw allow from 10.1.0.0/16 to any port 80 proto tcp
ufw --force enable
