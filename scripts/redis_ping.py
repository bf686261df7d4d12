"""Exit 0 when a Redis server answers PING at the URL given (default REDIS_URL), 1 otherwise."""

import os
import sys

import redis

url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("REDIS_URL", "redis://localhost:6379/0")
try:
    redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
except (redis.RedisError, OSError):
    sys.exit(1)
