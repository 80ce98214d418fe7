# 3: no build stage in current context: only ARG may come before the first FROM
ARG V=1
RUN echo $V
FROM busybox
