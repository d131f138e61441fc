// TokenCache under faults through the generated Kotlin bindings: a credentials provider that
// throws (served through the outage while the cached token is valid for outageFloorSeconds(),
// else TokenException.CredentialsUnavailable), many threads on a cold cache (one provider call),
// rotation of only the secret, only the session token or only the expiry, and clock steps
// (the time is an argument). The first token is compared with tests/vectors/tokens.json
// (botocore's rds-basic); rotated tokens are verified with the new secret.
//
// Compiled with the other tests by scripts/stages/kotlin.sh and run as
//   java -Djna.library.path=<dir of libdbtoken_uniffi.so> -cp test.jar:jna.jar faults.FaultsTestKt <vectors dir>
// Prints `ok <id>` / `FAIL <id>: why` per case and ends with `N passed, N failed`.

package faults

import dbtoken.*
import java.io.File
import java.time.Instant
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread

const val SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
const val SESSION = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/="
const val HOST = "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com"
const val T0 = 1_705_322_096L
val TARGET = TokenTarget.Rds(HOST, 5432u, "iam_user")

var passed = 0
var failed = 0

fun case(id: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok $id")
    } catch (e: Throwable) {
        failed++
        println("FAIL $id: ${e::class.qualifiedName}: ${e.message?.take(300)}")
    }
}

fun expect(cond: Boolean, what: () -> String) {
    if (!cond) throw AssertionError(what())
}

fun at(seconds: Long): Instant = Instant.ofEpochSecond(seconds)

/** A provider that counts its calls, can fail, and can take time. */
class Flaky(@Volatile var creds: Credentials, private val delayMs: Long = 0) : CredentialsProvider {
    val calls = AtomicInteger()
    @Volatile var failing: Exception? = null
    override fun credentials(): Credentials {
        calls.incrementAndGet()
        if (delayMs > 0) Thread.sleep(delayMs)
        failing?.let { throw it }
        return creds
    }
}

fun unavailable(body: () -> Unit) {
    try {
        body()
    } catch (e: TokenException) {
        expect(e.code() == "credentials_unavailable") { "code ${e.code()}" }
        expect(e is TokenException.CredentialsUnavailable) { "${e::class}" }
        expect(!e.toString().contains(SECRET)) { "message shows the secret" }
        return
    }
    throw AssertionError("no credentials_unavailable")
}

fun main(args: Array<String>) {
    val vectors = File(args.getOrElse(0) { "tests/vectors" }, "tokens.json").readText()
    val basic = Regex("\"id\": \"rds-basic\".*?\"token\": \"([^\"]+)\"", RegexOption.DOT_MATCHES_ALL)
        .find(vectors)!!.groupValues[1]
    val creds = Credentials("AKIDEXAMPLE", SECRET)
    val floor = outageFloorSeconds().toLong()

    case("outage-floor-is-5") { expect(floor == 5L) { "$floor" } }

    case("outage-serves-cached-token-above-the-floor") {
        val p = Flaky(creds)
        val cache = TokenCache()
        val t0 = cache.getFrom(TARGET, p, at(T0), "us-east-1").text()
        expect(t0 == basic) { "first token is not botocore's rds-basic" }
        p.failing = IllegalStateException("instance metadata unreachable")
        for (t in listOf(T0 + 1, T0 + 880, T0 + 900 - floor)) {
            expect(cache.getFrom(TARGET, p, at(t), "us-east-1").text() == t0) { "at +${t - T0}" }
        }
        val calls = p.calls.get()
        unavailable { cache.getFrom(TARGET, p, at(T0 + 900 - floor + 1), "us-east-1") }
        expect(p.calls.get() == calls + 1) { "the provider is tried at every call" }
        // Not for another target, and not a token signed in the future.
        unavailable { cache.getFrom(TokenTarget.Rds(HOST, 5433u, "iam_user"), p, at(T0 + 10), "us-east-1") }
        unavailable { cache.getFrom(TARGET, p, at(T0 - 3600), "us-east-1") }
        p.failing = null
        val t1 = cache.getFrom(TARGET, p, at(T0 + 899), "us-east-1")
        expect(t1.signingTime() == at(T0 + 899)) { "re-signed when the provider is back" }
    }

    case("fixed-credentials-provider") {
        val t = TokenCache().getFrom(TARGET, fixedCredentialsProvider(creds), at(T0), "us-east-1").text()
        expect(t == basic) { "not botocore's rds-basic" }
    }

    case("outage-nothing-cached") {
        val p = Flaky(creds)
        p.failing = ProviderException.Failed("SSO session expired")
        unavailable { TokenCache().getFrom(TARGET, p, at(T0), "us-east-1") }
    }

    case("threads-on-a-cold-cache-call-the-provider-once") {
        val p = Flaky(creds, delayMs = 300)
        val cache = TokenCache()
        val start = CountDownLatch(1)
        val out = java.util.concurrent.ConcurrentLinkedQueue<String>()
        val threads = (1..16).map {
            thread {
                start.await()
                out.add(cache.getFrom(TARGET, p, at(T0), "us-east-1").text())
            }
        }
        start.countDown()
        threads.forEach { it.join() }
        expect(out.size == 16 && out.toSet() == setOf(basic)) { "${out.size} tokens, ${out.toSet().size} distinct" }
        expect(p.calls.get() == 1) { "provider called ${p.calls.get()} times" }
    }

    val old = Credentials("ASIAEXAMPLE", SECRET, SESSION, at(T0 + 3600))
    val rotations = mapOf(
        "secret" to Credentials("ASIAEXAMPLE", "rotated/$SECRET", SESSION, at(T0 + 3600)),
        "session-token" to Credentials("ASIAEXAMPLE", SECRET, SESSION + "NEW", at(T0 + 3600)),
        "expiry" to Credentials("ASIAEXAMPLE", SECRET, SESSION, at(T0 + 400)),
    )
    val newSecret = mapOf("secret" to "rotated/$SECRET")
    for ((field, next) in rotations) {
        case("rotation-$field") {
            val p = Flaky(old)
            val cache = TokenCache()
            val t0 = cache.getFrom(TARGET, p, at(T0), "us-east-1").text()
            expect(cache.getFrom(TARGET, p, at(T0 + 5), "us-east-1").text() == t0) { "reused" }
            p.creds = next
            val t1 = cache.getFrom(TARGET, p, at(T0 + 10), "us-east-1")
            expect(t1.text() != t0) { "same token after rotating the $field" }
            val secret = newSecret[field] ?: SECRET
            val info = verify(t1.text(), secret, at(T0 + 10))
            expect(info.signingTime == at(T0 + 10)) { "signing time" }
            expect(info.expiresAt == at(minOf(T0 + 910, next.expiresAt()!!.epochSecond))) { "expiry ${info.expiresAt}" }
            if (field == "secret") {
                val e = runCatching { verify(t1.text(), SECRET, at(T0 + 10)) }.exceptionOrNull()
                expect(e is TokenException && e.code() == "signature_mismatch") { "old secret verifies" }
            }
            // The request-based get() too.
            val c2 = TokenCache()
            val r0 = c2.get(TokenRequest(TARGET, old, "us-east-1"), at(T0)).text()
            val r1 = c2.get(TokenRequest(TARGET, next, "us-east-1"), at(T0 + 10)).text()
            expect(r1 != r0 && r1 == t1.text()) { "get(): rotation" }
        }
    }

    case("clock-steps") {
        val p = Flaky(creds)
        val cache = TokenCache()
        var t = T0
        for (step in listOf(0L, -3 * 3600L, 5L, 7 * 3600L, -1L, -26 * 3600L, 899L, 1L, 400 * 86400L, -400 * 86400L)) {
            t += step
            for (tok in listOf(cache.getFrom(TARGET, p, at(t), "us-east-1"), cache.get(TokenRequest(TARGET, creds, "us-east-1"), at(t)))) {
                val info = verify(tok.text(), SECRET, at(t)) // throws when not yet valid or expired
                expect(!info.signingTime.isAfter(at(t))) { "step $step: signed in the future" }
                expect(info.expiresAt.isAfter(at(t + 30))) { "step $step: expired or within the margin" }
                if (info.signingTime == at(T0)) expect(tok.text() == basic) { "vector" }
            }
        }
    }

    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
