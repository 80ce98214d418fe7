FROM debian:bookworm
LABEL maintainer="ops@example.com" \
      org.opencontainers.image.source="https://example.com/repo"
ENV DEBIAN_FRONTEND=noninteractive
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		ca-certificates \
# curl is needed for the health check
		curl \
		gnupg \
	; \
	rm -rf /var/lib/apt/lists/*
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.com/key | gpg --dearmor > /usr/share/keyrings/x.gpg
VOLUME ["/var/lib/app"]
EXPOSE 8080/tcp
STOPSIGNAL SIGTERM
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["app", "--serve"]
