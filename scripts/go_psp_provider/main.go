// Command go_psp_provider times Kubernetes' own PodSecurityPolicy provider (evaluation only, one
// core) for scripts/bench_scale.ts: the same work the PSP admission plugin does per (pod, PSP) in
// plugin/pkg/admission/security/podsecuritypolicy/admission.go (computeSecurityContext and
// assignSecurityContext): a deep copy of the pod, MutatePod, ValidatePod, and the semantic
// comparison that tells a mutated pod from an unchanged one. Every pod is evaluated against every
// PSP (no early exit), as `audit-pods` does. A second pass times the same without the semantic
// comparison (MutatePod and ValidatePod on a deep copy only), for reference.
//
// It is built in GOPATH mode inside the Kubernetes source tree (see scripts/bench_scale.ts) and
// is never part of the plugin.
//
//	go_psp_provider PSPS.jsonl PODS.jsonl [DECISIONS.jsonl]
//
// Both files hold one JSON object per line (policy/v1beta1 PodSecurityPolicy, v1 Pod). Decoding,
// defaulting (as the API server stores PSPs and admits pods), conversion to the internal type and provider creation (one provider per PSP and
// namespace) happen before the clock starts. Prints one JSON object on stdout. With DECISIONS,
// writes there, per pod, its namespace, name and the PSPs that admit it (to check that both
// sides decide the same).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	policy "k8s.io/api/policy/v1beta1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	api "k8s.io/kubernetes/pkg/apis/core"
	corev1conv "k8s.io/kubernetes/pkg/apis/core/v1"
	policyv1beta1conv "k8s.io/kubernetes/pkg/apis/policy/v1beta1"
	psp "k8s.io/kubernetes/pkg/security/podsecuritypolicy"
)

type result struct {
	GoVersion    string  `json:"goVersion"`
	Pods         int     `json:"pods"`
	PSPs         int     `json:"psps"`
	Evaluations  int     `json:"evaluations"`
	Admitted     int     `json:"admitted"`
	Mutated      int     `json:"mutated"`
	WallSeconds  float64 `json:"wallSeconds"`
	CPUSeconds   float64 `json:"cpuSeconds"`
	EvalsPerSec  float64 `json:"evalsPerSec"`
	EvalsPerCPUS float64 `json:"evalsPerCpuSecond"`
	// The second pass, without the semantic comparison.
	NoCompareWallSeconds float64 `json:"noCompareWallSeconds"`
	NoCompareCPUSeconds  float64 `json:"noCompareCpuSeconds"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go_psp_provider: "+format+"\n", args...)
	os.Exit(2)
}

// eachLine calls f with every non-empty line of path.
func eachLine(path string, f func(n int, line []byte)) {
	file, err := os.Open(path)
	if err != nil {
		fail("%v", err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		if len(sc.Bytes()) > 0 {
			f(n, sc.Bytes())
		}
	}
	if err := sc.Err(); err != nil {
		fail("%s: %v", path, err)
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func main() {
	runtime.GOMAXPROCS(1)
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fail("usage: go_psp_provider PSPS.jsonl PODS.jsonl [DECISIONS.jsonl]")
	}
	var psps []*policy.PodSecurityPolicy
	eachLine(os.Args[1], func(n int, line []byte) {
		p := &policy.PodSecurityPolicy{}
		if err := json.Unmarshal(line, p); err != nil {
			fail("%s line %d: %v", os.Args[1], n, err)
		}
		// Stored PSPs are defaulted (allowPrivilegeEscalation: true when unset).
		policyv1beta1conv.SetObjectDefaults_PodSecurityPolicy(p)
		psps = append(psps, p)
	})
	var pods []*api.Pod
	eachLine(os.Args[2], func(n int, line []byte) {
		external := &corev1.Pod{}
		if err := json.Unmarshal(line, external); err != nil {
			fail("%s line %d: %v", os.Args[2], n, err)
		}
		// What the API server does before admission: defaulting, then the internal type.
		corev1conv.SetObjectDefaults_Pod(external)
		internal := &api.Pod{}
		if err := corev1conv.Convert_v1_Pod_To_core_Pod(external, internal, nil); err != nil {
			fail("%s line %d: %v", os.Args[2], n, err)
		}
		pods = append(pods, internal)
	})
	if len(psps) == 0 || len(pods) == 0 {
		fail("no PSPs or no pods")
	}
	providers := map[string][]psp.Provider{}
	factory := psp.NewSimpleStrategyFactory()
	for _, pod := range pods {
		if _, ok := providers[pod.Namespace]; ok {
			continue
		}
		list := make([]psp.Provider, 0, len(psps))
		for _, p := range psps {
			provider, err := psp.NewSimpleProvider(p, pod.Namespace, factory)
			if err != nil {
				fail("PSP %s: %v", p.Name, err)
			}
			list = append(list, provider)
		}
		providers[pod.Namespace] = list
	}

	res := result{GoVersion: runtime.Version(), Pods: len(pods), PSPs: len(psps)}
	admitted := make([]bool, len(pods)*len(psps))
	runtime.GC()
	cpu0, wall0 := cpuSeconds(), time.Now()
	for i, pod := range pods {
		for j, provider := range providers[pod.Namespace] {
			podCopy := pod.DeepCopy()
			var errs int
			if err := provider.MutatePod(podCopy); err != nil {
				errs++
			}
			errs += len(provider.ValidatePod(podCopy))
			res.Evaluations++
			if errs == 0 {
				res.Admitted++
				admitted[i*len(psps)+j] = true
				if !apiequality.Semantic.DeepEqual(pod, podCopy) {
					res.Mutated++
				}
			}
		}
	}
	res.WallSeconds = time.Since(wall0).Seconds()
	res.CPUSeconds = cpuSeconds() - cpu0
	res.EvalsPerSec = float64(res.Evaluations) / res.WallSeconds
	if res.CPUSeconds > 0 {
		res.EvalsPerCPUS = float64(res.Evaluations) / res.CPUSeconds
	}
	if len(os.Args) == 4 {
		file, err := os.Create(os.Args[3])
		if err != nil {
			fail("%v", err)
		}
		w := bufio.NewWriter(file)
		for i, pod := range pods {
			names := []string{}
			for j, p := range psps {
				if admitted[i*len(psps)+j] {
					names = append(names, p.Name)
				}
			}
			line, _ := json.Marshal(map[string]interface{}{
				"namespace": pod.Namespace, "name": pod.Name, "admittedBy": names,
			})
			w.Write(append(line, '\n'))
		}
		if err := w.Flush(); err != nil {
			fail("%s: %v", os.Args[3], err)
		}
		file.Close()
	}
	runtime.GC()
	cpu0, wall0 = cpuSeconds(), time.Now()
	for _, pod := range pods {
		for _, provider := range providers[pod.Namespace] {
			podCopy := pod.DeepCopy()
			_ = provider.MutatePod(podCopy)
			_ = provider.ValidatePod(podCopy)
		}
	}
	res.NoCompareWallSeconds = time.Since(wall0).Seconds()
	res.NoCompareCPUSeconds = cpuSeconds() - cpu0
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
