# quanteval's own image: the Jobs that `quanteval matrix --emit kubernetes` writes run it.
#
#   docker build -t ghcr.io/quanteval/quanteval:dev --build-arg VERSION=$(git describe --always) .
#
# Stage 1 builds a static binary (no cgo: it runs on any Linux, no libc needed);
# stage 2 is distroless "static" (CA certificates for the Hugging Face hub, tzdata,
# /etc/passwd with the nonroot user 65532, no shell). The emitted Jobs run as 65532
# with fsGroup 65532, so the results volume is writable.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first: this layer is reused while only the sources change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" \
      -o /out/quanteval ./cmd/quanteval

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/quanteval /usr/local/bin/quanteval
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/quanteval"]
CMD ["--help"]
