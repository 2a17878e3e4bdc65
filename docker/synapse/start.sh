#!/bin/sh
# Synapse for docker-compose.yml: generate a configuration on first start, then (every start) point
# it at the shared Postgres and at the bridge's registration, and run the image's own entry point.
set -eu
if [ ! -f /data/homeserver.yaml ]; then
  /start.py generate
fi
python3 - <<'PY'
import os, yaml
path = '/data/homeserver.yaml'
with open(path) as f:
    config = yaml.safe_load(f)
config['app_service_config_files'] = ['/bridge/registration.yaml']
config['database'] = {
    'name': 'psycopg2',
    'args': {
        'user': 'livechat',
        'password': os.environ['POSTGRES_PASSWORD'],
        'database': 'synapse',
        'host': 'postgres',
        'cp_min': 2,
        'cp_max': 10,
    },
}
config['registration_shared_secret'] = os.environ['SYNAPSE_REGISTRATION_SHARED_SECRET']
config['enable_registration'] = False
config['public_baseurl'] = os.environ.get('SYNAPSE_PUBLIC_BASEURL', 'http://localhost:8008/')
with open(path, 'w') as f:
    yaml.safe_dump(config, f, sort_keys=False)
PY
exec /start.py
