# 2: FROM: invalid name for build stage: "1st", name can't start with a number or contain symbols
FROM busybox AS 1st
