package awsapi

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// configFields are the settings a version freezes besides its code, as the SDK's three
// function configuration types (GetFunctionConfiguration, PublishVersion, list items)
// spell them.
type configFields struct {
	env        *types.EnvironmentResponse
	memory     *int32
	timeout    *int32
	ephemeral  *types.EphemeralStorage
	layers     []types.Layer
	runtime    types.Runtime
	handler    *string
	image      *types.ImageConfigResponse
	arch       []types.Architecture
	role       *string
	vpc        *types.VpcConfigResponse
	fileSystem []types.FileSystemConfig
	dlq        *types.DeadLetterConfig
	tracing    *types.TracingConfigResponse
	logging    *types.LoggingConfig
	kms        *string
	snapStart  *types.SnapStartResponse
}

func configOfGet(o *lambda.GetFunctionConfigurationOutput) configFields {
	return configFields{o.Environment, o.MemorySize, o.Timeout, o.EphemeralStorage, o.Layers, o.Runtime, o.Handler, o.ImageConfigResponse,
		o.Architectures, o.Role, o.VpcConfig, o.FileSystemConfigs, o.DeadLetterConfig, o.TracingConfig, o.LoggingConfig, o.KMSKeyArn, o.SnapStart}
}

func configOfPublish(o *lambda.PublishVersionOutput) configFields {
	return configFields{o.Environment, o.MemorySize, o.Timeout, o.EphemeralStorage, o.Layers, o.Runtime, o.Handler, o.ImageConfigResponse,
		o.Architectures, o.Role, o.VpcConfig, o.FileSystemConfigs, o.DeadLetterConfig, o.TracingConfig, o.LoggingConfig, o.KMSKeyArn, o.SnapStart}
}

func configOfItem(o types.FunctionConfiguration) configFields {
	return configFields{o.Environment, o.MemorySize, o.Timeout, o.EphemeralStorage, o.Layers, o.Runtime, o.Handler, o.ImageConfigResponse,
		o.Architectures, o.Role, o.VpcConfig, o.FileSystemConfigs, o.DeadLetterConfig, o.TracingConfig, o.LoggingConfig, o.KMSKeyArn, o.SnapStart}
}

// configuration is the canonical text of each setting. Lambda's defaults (512 MB of
// ephemeral storage, x86_64, PassThrough tracing, SnapStart off) read as unset, so that
// an answer that spells a default and one that leaves it out compare equal. Environment
// values are kept only as a digest (shift.EnvironmentDigest).
func (f configFields) configuration() shift.Configuration {
	c := shift.Configuration{}
	set := func(name, text string) {
		if text != "" {
			c[name] = text
		}
	}
	if f.env != nil {
		set("environment", shift.EnvironmentDigest(f.env.Variables))
	}
	if f.memory != nil {
		set("memory_size", strconv.Itoa(int(*f.memory)))
	}
	if f.timeout != nil {
		set("timeout", strconv.Itoa(int(*f.timeout)))
	}
	if f.ephemeral != nil && aws.ToInt32(f.ephemeral.Size) != 512 {
		set("ephemeral_storage", strconv.Itoa(int(aws.ToInt32(f.ephemeral.Size))))
	}
	var layers []string
	for _, l := range f.layers {
		layers = append(layers, aws.ToString(l.Arn)) // order matters: later layers override earlier ones
	}
	set("layers", jsonText(layers))
	set("runtime", string(f.runtime))
	set("handler", aws.ToString(f.handler))
	if f.image != nil && f.image.ImageConfig != nil {
		ic := f.image.ImageConfig
		if len(ic.Command)+len(ic.EntryPoint) > 0 || aws.ToString(ic.WorkingDirectory) != "" {
			set("image_config", jsonText(map[string]any{"command": ic.Command, "entry_point": ic.EntryPoint, "working_directory": aws.ToString(ic.WorkingDirectory)}))
		}
	}
	if len(f.arch) > 0 && (len(f.arch) != 1 || f.arch[0] != types.ArchitectureX8664) {
		set("architectures", jsonText(f.arch))
	}
	set("role", aws.ToString(f.role))
	if f.vpc != nil && len(f.vpc.SubnetIds)+len(f.vpc.SecurityGroupIds) > 0 {
		set("vpc_config", jsonText(map[string]any{"subnet_ids": sorted(f.vpc.SubnetIds), "security_group_ids": sorted(f.vpc.SecurityGroupIds),
			"ipv6_allowed_for_dual_stack": aws.ToBool(f.vpc.Ipv6AllowedForDualStack)}))
	}
	var mounts []string
	for _, fs := range f.fileSystem {
		mounts = append(mounts, aws.ToString(fs.Arn)+"="+aws.ToString(fs.LocalMountPath))
	}
	set("file_system_config", jsonText(sorted(mounts)))
	if f.dlq != nil {
		set("dead_letter_config", aws.ToString(f.dlq.TargetArn))
	}
	if f.tracing != nil && f.tracing.Mode != types.TracingModePassThrough {
		set("tracing_config", string(f.tracing.Mode))
	}
	if l := f.logging; l != nil {
		set("logging_config", jsonText(map[string]string{"log_format": string(l.LogFormat), "log_group": aws.ToString(l.LogGroup),
			"application_log_level": string(l.ApplicationLogLevel), "system_log_level": string(l.SystemLogLevel)}))
	}
	set("kms_key_arn", aws.ToString(f.kms))
	if f.snapStart != nil && f.snapStart.ApplyOn != types.SnapStartApplyOnNone {
		set("snap_start", string(f.snapStart.ApplyOn))
	}
	return c
}

// jsonText is v as JSON, "" for an empty list.
func jsonText(v any) string {
	if rv, ok := v.([]string); ok && len(rv) == 0 {
		return ""
	}
	if rv, ok := v.([]types.Architecture); ok && len(rv) == 0 {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
