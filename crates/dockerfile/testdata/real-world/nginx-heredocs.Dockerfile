# syntax=docker/dockerfile:1
FROM nginx:1.27-alpine
RUN <<EOT sh
  set -eux
  apk add --no-cache curl
  rm -rf /usr/share/nginx/html/*
EOT
COPY <<EOF /etc/nginx/conf.d/default.conf
server {
    listen       80;
    location / {
        root   /usr/share/nginx/html;
        index  index.html;
    }
}
EOF
COPY <<"EOF" /usr/share/nginx/html/index.html
<h1>${NOT_EXPANDED}</h1>
EOF
RUN <<EOF
#!/usr/bin/env sh
echo "built at $(date)" > /usr/share/nginx/html/built.txt
EOF
STOPSIGNAL SIGQUIT
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
