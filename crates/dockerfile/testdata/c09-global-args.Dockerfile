# C09: build with --build-arg IMG=<busybox ref>; TAG only changes /out.
ARG TAG=3.19
ARG MSG=hi
ARG IMG="busybox"
FROM ${IMG}
ARG TAG
RUN echo "tag=$TAG msg=$MSG" > /out
