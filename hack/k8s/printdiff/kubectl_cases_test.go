package printdiff

// The pod inputs of kubectl's own printer tests, copied verbatim from
// k8s.io/kubernetes@v1.37.2 pkg/printers/internalversion/printers_test.go
// (TestPrintPod, TestPrintPodWithRestartableInitContainer, TestPrintPodwide,
// TestPrintPodConditions, TestPrintNonTerminatedPod) by a go/ast extraction.
// They are internal (api.Pod) objects; the test converts them to v1.

import (
	"time"

	apiv1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	api "k8s.io/kubernetes/pkg/apis/core"
	"k8s.io/utils/ptr"
)

var containerRestartPolicyAlways = api.ContainerRestartPolicyAlways

type kubectlCase struct {
	name string
	pod  api.Pod
}

func kubectlCases() []kubectlCase {
	deleteTime := metav1.NewTime(time.Now().Add(-10 * time.Second))
	condition1, condition2, condition3 := "condition1", "condition2", "condition3" // TestPrintPodwide's readiness gates
	return []kubectlCase{
		{"TestPrintPod/1", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test1"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "podPhase",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
			},
		}},
		{"TestPrintPod/2", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test2"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "podPhase",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: "ContainerWaitingReason"}}, RestartCount: 3},
				},
			},
		}},
		{"TestPrintPod/3", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test3"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "podPhase",
				ContainerStatuses: []api.ContainerStatus{
					{State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: "ContainerWaitingReason"}}, RestartCount: 3},
					{State: api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "ContainerTerminatedReason"}}, RestartCount: 3},
				},
			},
		}},
		{"TestPrintPod/4", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test4"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "podPhase",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{Ready: true, RestartCount: 3},
				},
			},
		}},
		{"TestPrintPod/5", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test5"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Reason: "podReason",
				Phase:  "podPhase",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{Ready: true, RestartCount: 3},
				},
			},
		}},
		{"TestPrintPod/6", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test6"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase:  "Running",
				Reason: "",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "Completed", ExitCode: 0}}},
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
				},
			},
		}},
		{"TestPrintPod/7", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test6"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase:  "Running",
				Reason: "",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "Completed", ExitCode: 0}}},
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
				},
				Conditions: []api.PodCondition{
					{Type: api.PodReady, Status: api.ConditionTrue, LastProbeTime: metav1.Time{Time: time.Now()}},
				},
			},
		}},
		{"TestPrintPod/8", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test7"},
			Spec:       api.PodSpec{InitContainers: make([]api.Container, 1), Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "podPhase",
				InitContainerStatuses: []api.ContainerStatus{
					{
						Ready:                false,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-10 * time.Second))}},
					},
				},
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready:        false,
						RestartCount: 0,
						State:        api.ContainerState{Waiting: &api.ContainerStateWaiting{}},
					},
				},
			},
		}},
		{"TestPrintPod/9", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test8"},
			Spec:       api.PodSpec{InitContainers: make([]api.Container, 2), Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "podPhase",
				InitContainerStatuses: []api.ContainerStatus{
					{
						Ready:                false,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-10 * time.Second))}},
					},
					{
						Ready: false,
						State: api.ContainerState{Waiting: &api.ContainerStateWaiting{}},
					},
				},
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Waiting: &api.ContainerStateWaiting{}},
					},
				},
			},
		}},
		{"TestPrintPod/10", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test9"},
			Spec:       api.PodSpec{InitContainers: make([]api.Container, 2), Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "podPhase",
				InitContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{}},
					},
					{
						Ready:                false,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-10 * time.Second))}},
					},
				},
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Waiting: &api.ContainerStateWaiting{}},
					},
				},
			},
		}},
		{"TestPrintPod/11", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test10"},
			Spec:       api.PodSpec{InitContainers: make([]api.Container, 2), Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "podPhase",
				InitContainerStatuses: []api.ContainerStatus{
					{
						Ready:                false,
						RestartCount:         2,
						State:                api.ContainerState{Terminated: &api.ContainerStateTerminated{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-2 * time.Minute))}},
					},
					{
						Ready:                false,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-10 * time.Second))}},
					},
				},
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Waiting: &api.ContainerStateWaiting{}},
					},
				},
			},
		}},
		{"TestPrintPod/12", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test11"},
			Spec:       api.PodSpec{InitContainers: make([]api.Container, 1), Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "Running",
				InitContainerStatuses: []api.ContainerStatus{
					{
						Ready:                false,
						RestartCount:         2,
						State:                api.ContainerState{Terminated: &api.ContainerStateTerminated{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-2 * time.Minute))}},
					},
				},
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready:                false,
						RestartCount:         4,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-20 * time.Second))}},
					},
				},
			},
		}},
		{"TestPrintPod/13", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test12"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "Running",
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready:                true,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-5 * 24 * time.Hour))}},
					},
				},
			},
		}},
		{"TestPrintPod/14", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test13"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "Running",
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready:        true,
						RestartCount: 0,
						State:        api.ContainerState{Running: &api.ContainerStateRunning{}},
					},
					{
						Ready:                true,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-10 * 24 * time.Hour))}},
					},
				},
			},
		}},
		{"TestPrintPod/15", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test14"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "Running",
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready:                true,
						RestartCount:         6,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-5 * 24 * time.Hour))}},
					},
					{
						Ready:                true,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-20 * 24 * time.Hour))}},
					},
				},
			},
		}},
		{"TestPrintPod/16", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test15"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "podPhase",
				Conditions: []api.PodCondition{
					{
						Type:   api.PodScheduled,
						Status: api.ConditionFalse,
						Reason: apiv1.PodReasonSchedulingGated,
					},
				},
			},
		}},
		{"TestPrintPod/17", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test16"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: api.PodSucceeded,
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "Completed", ExitCode: 0}},
					},
				},
			},
		}},
		{"TestPrintPod/18", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test17"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: api.PodFailed,
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "Error", ExitCode: 1}},
					},
				},
			},
		}},
		{"TestPrintPod/19", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test18", DeletionTimestamp: &deleteTime},
			Spec:       api.PodSpec{Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: api.PodSucceeded,
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "Completed", ExitCode: 0}},
					},
				},
			},
		}},
		{"TestPrintPod/20", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test19", DeletionTimestamp: &deleteTime},
			Spec:       api.PodSpec{Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: api.PodRunning,
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Running: &api.ContainerStateRunning{}},
					},
				},
			},
		}},
		{"TestPrintPod/21", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test20", DeletionTimestamp: &deleteTime},
			Spec:       api.PodSpec{Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: api.PodPending,
			},
		}},
		{"TestPrintPod/22", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test21"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: api.PodFailed,
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{
							FinishedAt: metav1.NewTime(time.Now()),
							ExitCode:   1,
							Reason:     "podCrash"},
						},
						LastTerminationState: api.ContainerState{},
					},
					{
						Ready: true,
						State: api.ContainerState{Running: &api.ContainerStateRunning{
							StartedAt: metav1.NewTime(time.Now())},
						},
						LastTerminationState: api.ContainerState{},
					},
				},
			},
		}},
		{"TestPrintPod/23", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test22"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: api.PodFailed,
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: true,
						State: api.ContainerState{Running: &api.ContainerStateRunning{
							StartedAt: metav1.NewTime(time.Now())},
						},
						LastTerminationState: api.ContainerState{},
					},
					{
						Ready: false,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{
							FinishedAt: metav1.NewTime(time.Now()),
							ExitCode:   1,
							Reason:     "podCrash"},
						},
						LastTerminationState: api.ContainerState{},
					},
				},
			},
		}},
		{"TestPrintPod/24", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test23"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 3)},
			Status: api.PodStatus{
				Phase: "Failed",
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: true,
						State: api.ContainerState{Running: &api.ContainerStateRunning{
							StartedAt: metav1.NewTime(time.Now())},
						},
						LastTerminationState: api.ContainerState{},
					},
					{
						Ready: true,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{
							FinishedAt: metav1.NewTime(time.Now()),
							ExitCode:   1,
							Reason:     "podCrash"},
						},
						LastTerminationState: api.ContainerState{},
					},
					{
						Ready: true,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{
							FinishedAt: metav1.NewTime(time.Now()),
							ExitCode:   0},
						},
						LastTerminationState: api.ContainerState{},
					},
				},
			},
		}},
		{"TestPrintPod/25", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test24"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 3)},
			Status: api.PodStatus{
				Phase: "Failed",
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready: false,
						State: api.ContainerState{Running: &api.ContainerStateRunning{
							StartedAt: metav1.NewTime(time.Now())},
						},
						LastTerminationState: api.ContainerState{},
					},
					{
						Ready: false,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{
							FinishedAt: metav1.NewTime(time.Now()),
							ExitCode:   1,
							Reason:     "podCrash"},
						},
						LastTerminationState: api.ContainerState{},
					},
					{
						Ready: false,
						State: api.ContainerState{Terminated: &api.ContainerStateTerminated{
							FinishedAt: metav1.NewTime(time.Now()),
							ExitCode:   0},
						},
						LastTerminationState: api.ContainerState{},
					},
				},
			},
		}},
		{"TestPrintPodWithRestartableInitContainer/1", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test1"},
			Spec: api.PodSpec{
				InitContainers: []api.Container{
					{Name: "restartable-init-1", RestartPolicy: &containerRestartPolicyAlways},
					{Name: "restartable-init-2", RestartPolicy: &containerRestartPolicyAlways},
				}, Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "Pending",
				InitContainerStatuses: []api.ContainerStatus{
					{
						Name:                 "restartable-init-1",
						Ready:                false,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						Started:              ptr.To(false),
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-10 * time.Second))}},
					},
					{
						Name:    "restartable-init-2",
						Ready:   false,
						State:   api.ContainerState{Waiting: &api.ContainerStateWaiting{}},
						Started: ptr.To(false),
					},
				},
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready:        false,
						RestartCount: 0,
						State:        api.ContainerState{Waiting: &api.ContainerStateWaiting{}},
					},
				},
				Conditions: []api.PodCondition{
					{Type: api.PodInitialized, Status: api.ConditionFalse},
				},
			},
		}},
		{"TestPrintPodWithRestartableInitContainer/2", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test1"},
			Spec: api.PodSpec{
				InitContainers: []api.Container{
					{Name: "restartable-init-1", RestartPolicy: &containerRestartPolicyAlways},
					{Name: "restartable-init-2", RestartPolicy: &containerRestartPolicyAlways},
				}, Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "Pending",
				InitContainerStatuses: []api.ContainerStatus{
					{
						Name:                 "restartable-init-1",
						Ready:                false,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						Started:              ptr.To(true),
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-10 * time.Second))}},
					},
					{
						Name:    "restartable-init-2",
						Ready:   false,
						State:   api.ContainerState{Running: &api.ContainerStateRunning{}},
						Started: ptr.To(false),
					},
				},
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready:        false,
						RestartCount: 0,
						State:        api.ContainerState{Waiting: &api.ContainerStateWaiting{}},
					},
				},
				Conditions: []api.PodCondition{
					{Type: api.PodInitialized, Status: api.ConditionFalse},
				},
			},
		}},
		{"TestPrintPodWithRestartableInitContainer/3", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test2"},
			Spec: api.PodSpec{
				InitContainers: []api.Container{
					{Name: "restartable-init-1", RestartPolicy: &containerRestartPolicyAlways},
					{Name: "restartable-init-2", RestartPolicy: &containerRestartPolicyAlways},
				}, Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "Running",
				InitContainerStatuses: []api.ContainerStatus{
					{
						Name:                 "restartable-init-1",
						Ready:                false,
						RestartCount:         3,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						Started:              ptr.To(true),
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-10 * time.Second))}},
					},
					{
						Name:    "restartable-init-2",
						Ready:   false,
						State:   api.ContainerState{Running: &api.ContainerStateRunning{}},
						Started: ptr.To(true),
					},
				},
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready:                true,
						RestartCount:         4,
						State:                api.ContainerState{Running: &api.ContainerStateRunning{}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-20 * time.Second))}},
					},
				},
				Conditions: []api.PodCondition{
					{Type: api.PodInitialized, Status: api.ConditionTrue},
				},
			},
		}},
		{"TestPrintPodWithRestartableInitContainer/4", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test3"},
			Spec: api.PodSpec{
				InitContainers: []api.Container{
					{Name: "restartable-init-1", RestartPolicy: &containerRestartPolicyAlways},
					{Name: "restartable-init-2", RestartPolicy: &containerRestartPolicyAlways},
				}, Containers: make([]api.Container, 1)},
			Status: api.PodStatus{
				Phase: "Succeeded",
				InitContainerStatuses: []api.ContainerStatus{
					{
						Name:                 "restartable-init-1",
						Ready:                false,
						RestartCount:         3,
						State:                api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "Error", ExitCode: 137}},
						Started:              ptr.To(false),
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-10 * time.Second))}},
					},
					{
						Name:    "restartable-init-2",
						Ready:   false,
						State:   api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "Error", ExitCode: 137}},
						Started: ptr.To(false),
					},
				},
				ContainerStatuses: []api.ContainerStatus{
					{
						Ready:                false,
						RestartCount:         4,
						State:                api.ContainerState{Terminated: &api.ContainerStateTerminated{Reason: "Completed", ExitCode: 0}},
						LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{FinishedAt: metav1.NewTime(time.Now().Add(-20 * time.Second))}},
					},
				},
				Conditions: []api.PodCondition{
					{Type: api.PodInitialized, Status: api.ConditionTrue},
				},
			},
		}},
		{"TestPrintPodWithRestartableInitContainer/5", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test4"},
			Spec: api.PodSpec{
				InitContainers: []api.Container{
					{Name: "init1", Image: "initimage"},
					{Name: "sidecar1", Image: "sidecarimage", RestartPolicy: ptr.To(api.ContainerRestartPolicyAlways)},
				},
				Containers: []api.Container{{Name: "container1", Image: "containerimage"}},
			},
			Status: api.PodStatus{
				Phase: "Running",
				InitContainerStatuses: []api.ContainerStatus{
					{Name: "initinvalid"},
					{Name: "init1"},
					{Name: "sidecar1"},
				},
				ContainerStatuses: []api.ContainerStatus{
					{Name: "containerinvalid"},
					{Name: "container1"},
				},
			},
		}},
		{"TestPrintPodwide/1", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test1"},
			Spec: api.PodSpec{
				Containers: make([]api.Container, 2),
				NodeName:   "test1",
				ReadinessGates: []api.PodReadinessGate{
					{
						ConditionType: api.PodConditionType(condition1),
					},
					{
						ConditionType: api.PodConditionType(condition2),
					},
					{
						ConditionType: api.PodConditionType(condition3),
					},
				},
			},
			Status: api.PodStatus{
				Conditions: []api.PodCondition{
					{
						Type:   api.PodConditionType(condition1),
						Status: api.ConditionFalse,
					},
					{
						Type:   api.PodConditionType(condition2),
						Status: api.ConditionTrue,
					},
				},
				Phase:  "podPhase",
				PodIPs: []api.PodIP{{IP: "1.1.1.1"}},
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
				NominatedNodeName: "node1",
			},
		}},
		{"TestPrintPodwide/2", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test1"},
			Spec: api.PodSpec{
				Containers: make([]api.Container, 2),
				NodeName:   "test1",
				ReadinessGates: []api.PodReadinessGate{
					{
						ConditionType: api.PodConditionType(condition1),
					},
					{
						ConditionType: api.PodConditionType(condition2),
					},
					{
						ConditionType: api.PodConditionType(condition3),
					},
				},
			},
			Status: api.PodStatus{
				Conditions: []api.PodCondition{
					{
						Type:   api.PodConditionType(condition1),
						Status: api.ConditionFalse,
					},
					{
						Type:   api.PodConditionType(condition2),
						Status: api.ConditionTrue,
					},
				},
				Phase:  "podPhase",
				PodIPs: []api.PodIP{{IP: "1.1.1.1"}, {IP: "2001:db8::"}},
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
				NominatedNodeName: "node1",
			},
		}},
		{"TestPrintPodwide/3", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test2"},
			Spec: api.PodSpec{
				Containers: make([]api.Container, 2),
				NodeName:   "",
			},
			Status: api.PodStatus{
				Phase: "podPhase",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: "ContainerWaitingReason"}}, RestartCount: 3},
				},
			},
		}},
		{"TestPrintPodConditions/1", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test1", Labels: map[string]string{"a": "1", "b": "2"}},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "Running",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
			},
		}},
		{"TestPrintPodConditions/2", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test1", Labels: map[string]string{"a": "1", "b": "2"}},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "Succeeded",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
			},
		}},
		{"TestPrintPodConditions/3", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test2", Labels: map[string]string{"b": "2"}},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: "Failed",
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
			},
		}},
		{"TestPrintNonTerminatedPod/1", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test1"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: api.PodRunning,
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
			},
		}},
		{"TestPrintNonTerminatedPod/2", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test2"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: api.PodPending,
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
			},
		}},
		{"TestPrintNonTerminatedPod/3", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test3"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: api.PodUnknown,
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
			},
		}},
		{"TestPrintNonTerminatedPod/4", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test4"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: api.PodSucceeded,
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{RestartCount: 3},
				},
			},
		}},
		{"TestPrintNonTerminatedPod/5", api.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test5"},
			Spec:       api.PodSpec{Containers: make([]api.Container, 2)},
			Status: api.PodStatus{
				Phase: api.PodFailed,
				ContainerStatuses: []api.ContainerStatus{
					{Ready: true, RestartCount: 3, State: api.ContainerState{Running: &api.ContainerStateRunning{}}},
					{Ready: true, RestartCount: 3},
				},
			},
		}},
	}
}
