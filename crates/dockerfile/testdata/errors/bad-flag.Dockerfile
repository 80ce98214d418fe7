# 3: COPY: unknown flag: --fromm
FROM busybox
COPY --fromm=build /a /b
