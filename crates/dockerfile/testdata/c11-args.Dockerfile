# C11: build with --build-arg foo=fromarg --build-arg A1=cli --build-arg A2=
#      --build-arg A3 (host env A3=host) --build-arg A4 --build-arg UNDECLARED=x
ARG BASE=busybox
FROM ${BASE}
ENV x=hello
ENV x=bye y=$x
ENV z=$x
ARG foo
ENV foo=fromenv
ARG A1=file
ARG A2=file
ARG A3=file
ARG A4=file
ARG A5
RUN echo "$foo" > /foo && env | sort > /env
# Expected: /foo = fromenv; /env has A1=cli A2= A3=host A4=file, no A5;
# Config.Env: x=bye y=hello z=bye foo=fromenv and no A1..A5; a warning names UNDECLARED.
