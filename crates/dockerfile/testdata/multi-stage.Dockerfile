ARG BASE=busybox
FROM ${BASE} AS build
RUN mkdir -p /out && echo "hello from build" > /out/greeting

FROM ${BASE} AS unused
RUN echo "this stage is not needed" && exit 1

FROM build AS test
RUN test "$(cat /out/greeting)" = "hello from build"

FROM ${BASE}
COPY --from=build /out/greeting /out/greeting
COPY --from=0 /out /copied-by-index/
RUN --mount=type=bind,from=test,source=/out,target=/mnt \
    cp /mnt/greeting /out/from-mount
CMD ["cat", "/out/greeting"]
