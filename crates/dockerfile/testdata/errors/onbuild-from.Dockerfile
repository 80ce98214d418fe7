# 3: ONBUILD: FROM isn't allowed as an ONBUILD trigger
FROM busybox
ONBUILD FROM alpine
