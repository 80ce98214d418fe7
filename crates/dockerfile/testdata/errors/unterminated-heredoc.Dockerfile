# 3: RUN: unterminated heredoc EOF (no line `EOF` ends it)
FROM busybox
RUN <<EOF
echo never ends
