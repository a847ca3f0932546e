# digitlab in a container: the compiled single binary on a small base image.
#   docker build -t digitlab .
#   docker run --rm --init -p 8000:8000 digitlab
# Building needs internet: npm packages and Deno's compile runtime (denort).

# --- builder: official Deno image, same version as the project's toolchain ---
FROM denoland/deno:2.9.6 AS builder
WORKDIR /app
# Dependencies first: this layer is reused until deno.json or deno.lock change.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY . .
# `build` writes the UI to build/; `compile` embeds it, models/ and the ONNX runtime's wasm.
# state/ becomes the runtime's data folder (distroless has no shell to make it there).
RUN deno task build && deno task compile && ./dist/digitlab --version && mkdir -p state

# --- runtime: glibc + libgcc only, no shell, no package manager ---
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /app/dist/digitlab /usr/local/bin/digitlab
# The feedback database's folder, owned by the runtime user: a named volume mounted here starts
# with that owner. It is the only place the server writes.
COPY --from=builder --chown=65532:65532 /app/state /var/lib/digitlab
ENV DIGITLAB_DATA_DIR=/var/lib/digitlab
VOLUME ["/var/lib/digitlab"]
# distroless's "nonroot" user, by number so orchestrators can check runAsNonRoot.
USER 65532:65532
# Memory: two malloc arenas, big freed buffers back to the kernel (docs/performance.md).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536
EXPOSE 8000
# No curl in the image: the binary checks its own /health.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["/usr/local/bin/digitlab", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/digitlab"]
CMD ["--host", "0.0.0.0", "--port", "8000"]
