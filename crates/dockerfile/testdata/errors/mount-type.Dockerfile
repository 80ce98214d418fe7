# 3: RUN: invalid --mount "type=nfs,target=/x": unsupported mount type "nfs" (bind, cache, tmpfs, secret or ssh)
FROM busybox
RUN --mount=type=nfs,target=/x true
