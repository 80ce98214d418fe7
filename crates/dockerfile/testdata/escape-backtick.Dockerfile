# escape=`
ARG BASE=busybox
FROM ${BASE}
ENV P=C:\dir
RUN printf '%s' 'a\b' > /e `
    && test -s /e
