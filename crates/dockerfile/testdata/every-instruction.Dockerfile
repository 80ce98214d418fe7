# syntax=docker/dockerfile:1
# Every instruction once (twice where it has two forms); builds on busybox.
ARG BASE=busybox
FROM ${BASE} AS base
LABEL org.example.kind="every instruction" \
      org.example.empty=""
LABEL legacy value with spaces
MAINTAINER someone <someone@example.com>
ENV APP_HOME=/srv/app \
    GREETING="hello world"
ENV LEGACY legacy value
ARG VERSION=1.0
ARG UNSET
WORKDIR $APP_HOME
WORKDIR sub
# WORKDIR is now /srv/app/sub
RUN echo "$GREETING $VERSION" > greeting.txt
RUN ["/bin/sh", "-c", "echo exec form > exec.txt"]
RUN <<EOF
echo heredoc one > heredoc.txt
echo heredoc two >> heredoc.txt
EOF
RUN cat <<'RAW' > raw.txt
$GREETING stays literal
RAW
COPY --chmod=0755 <<SCRIPT /usr/local/bin/hello
#!/bin/sh
echo "$GREETING from a script"
SCRIPT
COPY --chown=1000:1000 <<-NOTE /notes/note.txt
	tabs stripped
	NOTE
ADD <<ADDED /added.txt
added by ADD
ADDED
USER 1000:1000
RUN id -u > /tmp/uid
USER root
EXPOSE 8000 53/udp 7000-7001
VOLUME /data
VOLUME ["/cache", "/logs"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --start-period=1s --retries=2 CMD ["/bin/true"]
SHELL ["/bin/sh", "-e", "-c"]
RUN test "$(cat greeting.txt)" = "hello world 1.0"
ONBUILD RUN echo child build
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo $GREETING"]
# Expected config: Env PATH (from busybox), APP_HOME=/srv/app, GREETING=hello world,
# LEGACY=legacy value; WorkingDir /srv/app/sub; User root; ExposedPorts 8000/tcp,
# 53/udp, 7000/tcp, 7001/tcp; Volumes /data /cache /logs; StopSignal SIGINT;
# Healthcheck Test ["CMD","/bin/true"] Interval 30s Timeout 5s StartPeriod 1s Retries 2;
# OnBuild ["RUN echo child build"]; Entrypoint ["/bin/sh","-c"]; Cmd ["echo $GREETING"];
# Labels org.example.kind, org.example.empty, legacy="value with spaces"; Author someone.
# Files: /srv/app/sub/{greeting,exec,heredoc,raw}.txt, /usr/local/bin/hello (0755,
# says "hello world from a script"), /notes/note.txt (1000:1000, "tabs stripped\n"),
# /added.txt, /tmp/uid = 1000. raw.txt holds "$GREETING stays literal".
