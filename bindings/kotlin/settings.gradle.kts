// Standalone Gradle project for the Kotlin/JVM bindings. Not run in this repository's CI
// (which compiles the same sources with kotlinc): see bindings/README.md.
rootProject.name = "dbtoken"
