ARG BASE=busybox
FROM ${BASE}
CMD ['echo','hi']
