package auth

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Hashes made by werkzeug itself: pbkdf2 ones by Debian's werkzeug 2.2
// generate_password_hash (its default, and other digests at 1000
// iterations), scrypt ones as werkzeug 3 makes them (hashlib.scrypt with a
// token_urlsafe salt, 64 bytes, hex), "pbkdf2:sha256" without iterations
// by werkzeug 2.2's _hash_internal (which check_password_hash accepts).
var werkzeugVectors = []struct {
	name, hash, password string
	slow                 bool // werkzeug's default cost: seconds under -race
}{
	{"Werkzeug2Default", "pbkdf2:sha256:260000$hSUzrqSUtJOqK46w$54d9e9dd90206c8446400b344d2c5fe20319d01334171bc21f06d8328eeb21c8", "mango", true},
	{"PBKDF2SHA256", "pbkdf2:sha256:1000$4b1eZTFrna2eC0Ka$8a2c58b0c48276af8c07039bf6cd3404e6871f877fdb99557c07eed089a0b855", "mango", false},
	{"PBKDF2SHA1NonASCII", "pbkdf2:sha1:1000$NMb6Y7Fx5xf06buJ$665404a98d9eb15d774f3e6bb65a18482cfe0663", "pässwörd ü", false},
	{"PBKDF2SHA512", "pbkdf2:sha512:1000$Gt32gWJETuopIaMc$3971464ac9ee91f68b87ff3202956836b63c2d0e72ed6f5f334df3fe742ab15b13e50f97420b53242d208ceeb0a592178f6645aded0c267686154e4e95139e19", "mango", false},
	{"PBKDF2SHA224", "pbkdf2:sha224:1000$rUGjSfMs5uovBthV$8d54968fcb6548de8fd2fe787b5432b9e1d6786cf9470cbac4340347", "mango", false},
	{"PBKDF2SHA384", "pbkdf2:sha384:1000$Nv8GfEIkx0ohk5h3$9c322c511de3adb963e99cc679f123c9e006a383110e93836286a4d27047e26aec32b0a7ad6d454ccbc93e2702783798", "mango", false},
	{"PBKDF2NoIterations", "pbkdf2:sha256$AbCdEfGhIjKlMnOp$a51a4a554bf1d020b96c62dae1f0ad27f4053243f43bf62ea4d9fba1d1309d79", "mango", true},
	{"Werkzeug3Default", "scrypt:32768:8:1$ACgXKyoVYjHTx0Ut2xUMfQ$2f2921e165d8f86e10603a77dafa4da9117227adae2dd6e30bfccbf621b14ccf63ae982c343aaeb2b854a09aec26cad78af7db2abe2cfcd57d215003d9e5e155", "mango", true},
	{"ScryptP2", "scrypt:1024:8:2$NZyekO6xGm8TNcNXeIXiJA$f882b2d44a2b7d65691eca0178387c333bc02d98d98272c7e9a0af0495049cec944735b496e264e5267ffa535e948849f9593627828edf5c5cff6bd617b6b854", "mango", false},
	{"ScryptLongPassword", "scrypt:1024:8:1$HYa_azQUTBSHFR7fEgIrGA$f64f1bd286e9afe99d40470248a672f66d9211cfa594ec91a93d255ac95cbf34022780055a16163b74cdedf6cd0816590a35ee8afa0a3d29321db4cd1b5945cb", strings.Repeat("x", 100), false},
}

func TestWerkzeugHashes(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range werkzeugVectors {
		t.Run("OK"+v.name, func(t *testing.T) {
			t.Parallel()
			if v.slow && testing.Short() {
				t.Skip("werkzeug's default cost; -short")
			}
			if err := ValidateHash(v.hash); err != nil {
				t.Fatalf("ValidateHash = %v", err)
			}
			if !h.Check(v.hash, v.password) {
				t.Fatal("the right password does not match")
			}
			if h.Check(v.hash, v.password+"!") {
				t.Fatal("a wrong password matches")
			}
			if !h.NeedsRehash(v.hash) {
				t.Fatal("NeedsRehash = false for a werkzeug hash")
			}
		})
	}
	t.Run("OKOwnHashesCheck", func(t *testing.T) {
		t.Parallel()
		for _, method := range []string{"pbkdf2:sha256:1000", "pbkdf2:sha512:10", "scrypt:16:1:1", "scrypt:1024:8:1"} {
			hash, err := werkzeugHashOf(method, "saltsalt", "mango")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(hash, method+"$saltsalt$") || !h.Check(hash, "mango") || h.Check(hash, "Mango") {
				t.Fatalf("%s: %s", method, hash)
			}
		}
	})
	t.Run("OKBareScryptIsTheDefault", func(t *testing.T) {
		t.Parallel()
		if testing.Short() {
			t.Skip("werkzeug's default cost; -short")
		}
		v := werkzeugVectors[7]
		bare := "scrypt" + v.hash[strings.Index(v.hash, "$"):]
		if err := ValidateHash(bare); err != nil || !h.Check(bare, "mango") {
			t.Fatalf("bare scrypt: %v", err)
		}
	})
	t.Run("OKBcryptStillChecks", func(t *testing.T) {
		t.Parallel()
		b, _ := bcrypt.GenerateFromPassword([]byte("mango"), 4)
		if err := ValidateHash(string(b)); err != nil || !h.Check(string(b), "mango") || h.Check(string(b), "papaya") {
			t.Fatalf("bcrypt: %v", err)
		}
	})
}

func TestWerkzeugRefused(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(4)
	if err != nil {
		t.Fatal(err)
	}
	hex64 := strings.Repeat("ab", 32)
	hex128 := strings.Repeat("cd", 64)
	for _, tt := range []struct{ name, hash, want string }{
		{"ErrEmpty", "", "no password hash"},
		{"ErrPlain", "plain$$mango", "plain-text"},
		{"ErrSaltedHMAC", "sha256$s4lt$" + hex64, `werkzeug method "sha256" is not supported`},
		{"ErrBarePBKDF2", "pbkdf2$s4lt$" + hex64, "without its hash"},
		{"ErrArgon2", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "not a password hash of a known kind"},
		{"ErrNoDollar", "mango", "not a password hash of a known kind"},
		{"ErrMD5", "pbkdf2:md5:1000$s4lt$" + strings.Repeat("ab", 16), `pbkdf2 with "md5" is not supported`},
		{"ErrTooManyIterations", "pbkdf2:sha256:999999999$s4lt$" + hex64, "over 2000000 iterations"},
		{"ErrZeroIterations", "pbkdf2:sha256:0$s4lt$" + hex64, "whole number above 0"},
		{"ErrNegativeIterations", "pbkdf2:sha256:-5$s4lt$" + hex64, "whole number above 0"},
		{"ErrIterationsNotNumber", "pbkdf2:sha256:1e3$s4lt$" + hex64, "whole number above 0"},
		{"ErrIterationsEmpty", "pbkdf2:sha256:$s4lt$" + hex64, "whole number above 0"},
		{"ErrPBKDF2TooManyArgs", "pbkdf2:sha256:1000:1$s4lt$" + hex64, "want pbkdf2:HASH:ITERATIONS"},
		{"ErrScryptMemory", "scrypt:1048576:8:1$s4lt$" + hex128, "over the bounds"},
		{"ErrScryptWork", "scrypt:16384:8:64$s4lt$" + hex128, "over the bounds"},
		{"ErrScryptHugeR", "scrypt:2:99999999999:1$s4lt$" + hex128, "over the bounds"},
		{"ErrScryptNotPowerOf2", "scrypt:1000:8:1$s4lt$" + hex128, "power of 2"},
		{"ErrScryptN1", "scrypt:1:8:1$s4lt$" + hex128, "power of 2"},
		{"ErrScryptTwoArgs", "scrypt:32768:8$s4lt$" + hex128, "want scrypt:N:R:P"},
		{"ErrScryptZeroP", "scrypt:1024:8:0$s4lt$" + hex128, "whole numbers above 0"},
		{"ErrNoSalt", "pbkdf2:sha256:1000$$" + hex64, "no salt"},
		{"ErrLongSalt", "pbkdf2:sha256:1000$" + strings.Repeat("s", 2000) + "$" + hex64, "salt over"},
		{"ErrUpperCaseHex", "pbkdf2:sha256:1000$s4lt$" + strings.ToUpper(hex64), "lower-case hex"},
		{"ErrShortHex", "pbkdf2:sha256:1000$s4lt$" + hex64[2:], "64 lower-case hex"},
		{"ErrScryptShortHex", "scrypt:1024:8:1$s4lt$" + hex64, "128 lower-case hex"},
		{"ErrNoKey", "pbkdf2:sha256:1000$s4lt", "want METHOD$SALT$HEX"},
		{"ErrDollarInKey", "pbkdf2:sha256:1000$s4lt$" + hex64[:32] + "$" + hex64[33:], "lower-case hex"},
		{"ErrBadBcrypt", "$2a$99$abc", "not a valid bcrypt hash"},
		{"ErrCostlyBcrypt", "$2a$20$" + strings.Repeat("a", 53), "a bcrypt hash of cost 20, over 16"},
		{"ErrControlInMethod", "md5\x00$s4lt$" + hex64, "not a password hash of a known kind"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateHash(tt.hash)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ValidateHash = %v, want an error saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s4lt") || strings.Contains(err.Error(), hex64[:16]) {
				t.Fatalf("the error shows the salt or the key: %v", err)
			}
			if strings.HasPrefix(tt.hash, "$2a$20$") {
				return // refused at import only: Check takes what Tessera's own BCRYPT_COST may make
			}
			start := time.Now()
			if h.Check(tt.hash, "mango") {
				t.Fatal("Check = true")
			}
			// Refused parameters are not computed at all.
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Fatalf("Check took %s", d)
			}
		})
	}
}

func TestHasherDummyParams(t *testing.T) {
	t.Parallel()
	params := func(h *Hasher) string { return HashParams(string(*h.dummy.Load())) }
	t.Run("OKFollowsTheStoredKind", func(t *testing.T) {
		t.Parallel()
		h, err := NewHasher(4)
		if err != nil {
			t.Fatal(err)
		}
		if got := params(h); got != "$2a$04$" {
			t.Fatalf("first dummy = %q", got)
		}
		for _, tt := range []struct{ set, want string }{
			{"pbkdf2:sha256:1000", "pbkdf2:sha256:1000"},
			{"pbkdf2:sha1", "pbkdf2:sha1:260000"},
			{"scrypt:1024:8:1", "scrypt:1024:8:1"},
			{"$2b$05$", "$2a$05$"},
			{"$2a$04$", "$2a$04$"},
		} {
			if err := h.SetDummy(tt.set); err != nil {
				t.Fatalf("SetDummy(%q) = %v", tt.set, err)
			}
			if got := params(h); got != tt.want {
				t.Fatalf("after SetDummy(%q) the dummy is of %q, want %q", tt.set, got, tt.want)
			}
			if h.Check("", "tessera-dummy-password") || h.Check("", "mango") {
				t.Fatal("Check with no hash = true")
			}
		}
	})
	t.Run("ErrRefusedParamsKeepTheDummy", func(t *testing.T) {
		t.Parallel()
		h, err := NewHasher(4)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.SetDummy("scrypt:16:1:1"); err != nil {
			t.Fatal(err)
		}
		before := h.dummy.Load()
		for _, bad := range []string{"", "md5", "pbkdf2", "pbkdf2:sha256:9999999999", "scrypt:1048576:8:1", "$2a$99$", "$2a$x$", "$2"} {
			if err := h.SetDummy(bad); err == nil {
				t.Errorf("SetDummy(%q) = nil, want an error", bad)
			}
		}
		if h.dummy.Load() != before {
			t.Fatal("a refused SetDummy changed the dummy")
		}
		// The same parameters again cost nothing: the dummy stays.
		if err := h.SetDummy("scrypt:16:1:1"); err != nil || h.dummy.Load() != before {
			t.Fatalf("SetDummy of the same params = %v, or made a new dummy", err)
		}
	})
	// An unknown name costs what most stored hashes cost: once the dummy
	// follows them, it takes as long as the known name's hash.
	t.Run("OKUnknownNameTakesAsLong", func(t *testing.T) {
		t.Parallel()
		h, err := NewHasher(4)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := werkzeugHashOf("pbkdf2:sha256:60000", newSalt(), "mango")
		if err != nil {
			t.Fatal(err)
		}
		fastest := func(hash string) time.Duration {
			best := time.Hour
			for range 3 {
				start := time.Now()
				h.Check(hash, "papaya")
				best = min(best, time.Since(start))
			}
			return best
		}
		known := fastest(stored)
		if unknown := fastest(""); unknown > known/5 {
			t.Fatalf("the test cannot tell: bcrypt at cost 4 took %s, pbkdf2 %s", unknown, known)
		}
		if err := h.SetDummy(HashParams(stored)); err != nil {
			t.Fatal(err)
		}
		known = fastest(stored)
		if unknown := fastest(""); unknown < known/2 || unknown > 2*known {
			t.Fatalf("unknown name: %s, known name: %s", unknown, known)
		}
	})
	t.Run("OKHashParams", func(t *testing.T) {
		t.Parallel()
		b, _ := bcrypt.GenerateFromPassword([]byte("mango"), 4)
		for hash, want := range map[string]string{
			string(b):                       "$2a$04$",
			werkzeugVectors[0].hash:         "pbkdf2:sha256:260000",
			werkzeugVectors[6].hash:         "pbkdf2:sha256",
			werkzeugVectors[7].hash:         "scrypt:32768:8:1",
			"scrypt$salt$00":                "scrypt",
			"sha256$salt$00":                "",
			"":                              "",
			"$2a":                           "",
			"plain$$mango":                  "",
			"pbkdf2:sha256:1000-no-dollars": "",
		} {
			if got := HashParams(hash); got != want {
				t.Errorf("HashParams(%.24q) = %q, want %q", hash, got, want)
			}
		}
	})
}
