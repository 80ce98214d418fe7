# 4: COPY: requires at least two arguments: the sources and a destination
FROM busybox
WORKDIR /app
COPY app.py
