// Kotlin/JVM library over JNA for dbtoken (uniffi bindings).
//
// Gradle is NOT run in this repository's CI: scripts/stages/kotlin.sh compiles the very same
// generated sources and src/test/kotlin/VectorsTest.kt with kotlinc and runs them on the JVM.
// This file is a starting point to drop into your build. Before building:
//
//   bindings/generate.sh        # writes src/main/kotlin/dbtoken/dbtoken_uniffi.kt
//
// and put the native library where JNA finds it: either on `jna.library.path` (as `runVectors`
// below does), or inside the jar under JNA's platform folder, e.g.
//   src/main/resources/linux-x86-64/libdbtoken_uniffi.so
//   src/main/resources/darwin-aarch64/libdbtoken_uniffi.dylib
//   src/main/resources/win32-x86-64/dbtoken_uniffi.dll
// For Android, see bindings/README.md (JNA as an AAR, jniLibs per ABI).

plugins {
    kotlin("jvm") version "2.4.20"
    `java-library`
}

group = "dbtoken"
version = "0.1.0"

repositories {
    mavenCentral()
}

dependencies {
    // The generated code calls JNA directly (Native.register, Structure, Pointer).
    api("net.java.dev.jna:jna:5.13.0")
}

kotlin {
    jvmToolchain(17)
}

// The generated sources live in src/main/kotlin (the Gradle default); nothing to configure.

// Runs the vector test program (a plain `main`, no test framework) against a locally built
// library: `gradle runVectors` after `cargo build --release -p dbtoken-uniffi`.
val repoRoot = layout.projectDirectory.dir("../..")
tasks.register<JavaExec>("runVectors") {
    group = "verification"
    description = "Runs tests/vectors against the bindings (needs target/release/libdbtoken_uniffi.*)"
    classpath = sourceSets["test"].runtimeClasspath
    mainClass.set("VectorsTestKt")
    args(repoRoot.dir("tests/vectors").asFile.path)
    jvmArgs("-Djna.library.path=" + repoRoot.dir("target/release").asFile.path)
}
