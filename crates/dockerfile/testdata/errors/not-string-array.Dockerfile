# 3: CMD: when using JSON array syntax, arrays must be comprised of strings only
FROM busybox
CMD ["sleep", 10]
