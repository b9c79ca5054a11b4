//! The user's profile: the display name and avatar every outgoing message carries (§10.4).
//!
//! What the profile is and the rules it keeps (limits, when the avatar must be uploaded
//! again); the state database keeps it ([`crate::client::State::profile`]) and `sesh send`
//! uploads the avatar. No I/O here: times are arguments.
//!
//! As the apps do it (session-desktop `OutgoingUserProfile`): each message carries
//! `profile.displayName` and `profile.lastProfileUpdateSeconds`, and, once the avatar is
//! uploaded, `profile.profilePicture` (the file URL) with `DataMessage.profileKey`, the
//! 32-byte key the image is encrypted with (AES-256-GCM, §10.4). The key is made once per
//! identity and kept, so that a re-upload of the same image is readable with the key
//! receivers already have.

use std::fmt;

use zeroize::Zeroizing;

use crate::message::{Outgoing, ProfilePicture};

/// The longest display name, in bytes of UTF-8 (libsession `CONTACT_MAX_NAME_LENGTH`: 100).
pub const MAX_NAME_LEN: usize = 100;

/// The largest avatar image, in bytes: 5 MiB (session-desktop's `maxAvatarDetails.maxSize`,
/// `5 * FILESIZE.MB`). The apps scale avatars down before upload; sesh sends the image as
/// given, so it holds it to what the apps accept.
pub const MAX_AVATAR_LEN: usize = 5 * 1024 * 1024;

/// An uploaded avatar is uploaded again when it expires in less than this, seconds (a day):
/// a message sent then would point receivers at a file about to disappear.
pub const REUPLOAD_MARGIN_S: u64 = 24 * 60 * 60;

/// How long a file server keeps an upload when it does not say, seconds (14 days, §10.1).
pub const DEFAULT_FILE_TTL_S: u64 = 14 * 24 * 60 * 60;

/// The image formats an avatar may be, by their first bytes: (MIME type, magic).
const IMAGE_MAGIC: &[(&str, &[u8])] = &[
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF87a"),
    ("image/gif", b"GIF89a"),
];

/// Why a name or an avatar cannot be the profile's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// An empty display name (the apps refuse one too).
    #[error("a display name cannot be empty")]
    EmptyName,
    /// A display name longer than [`MAX_NAME_LEN`] bytes.
    #[error("the display name is {len} bytes long; at most {MAX_NAME_LEN} are allowed")]
    NameTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A display name with a control character (a line break, an escape).
    #[error("the display name contains a control character")]
    NameControl,
    /// An avatar that is not a PNG, JPEG, GIF or WebP image.
    #[error("the avatar is not an image (PNG, JPEG, GIF or WebP)")]
    NotAnImage,
    /// An avatar larger than [`MAX_AVATAR_LEN`].
    #[error("the avatar is {len} bytes; at most {MAX_AVATAR_LEN} are allowed")]
    AvatarTooLarge {
        /// Its size.
        len: u64,
    },
    /// An avatar from a stream that was read no further than past [`MAX_AVATAR_LEN`].
    #[error("the avatar is more than {MAX_AVATAR_LEN} bytes; at most {MAX_AVATAR_LEN} are allowed")]
    AvatarOverLimit,
}

impl crate::HasKind for ProfileError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::AvatarTooLarge { .. } | Self::AvatarOverLimit => {
                Some("scale the image down (the apps show avatars at 600×600 at most)".into())
            }
            Self::NotAnImage => Some("give a PNG, JPEG, GIF or WebP file".into()),
            Self::EmptyName | Self::NameTooLong { .. } | Self::NameControl => Some(format!(
                "give a name of 1 to {MAX_NAME_LEN} bytes on one line, without control \
                 characters"
            )),
        }
    }
}

/// Checks a display name: not empty, at most [`MAX_NAME_LEN`] bytes, no control characters.
///
/// # Errors
/// [`ProfileError::EmptyName`], [`ProfileError::NameTooLong`] or [`ProfileError::NameControl`].
pub fn check_name(name: &str) -> Result<(), ProfileError> {
    if name.trim().is_empty() {
        return Err(ProfileError::EmptyName);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(ProfileError::NameTooLong { len: name.len() });
    }
    if name.chars().any(char::is_control) {
        return Err(ProfileError::NameControl);
    }
    Ok(())
}

/// The MIME type of an avatar image, by its magic bytes; checks its size.
///
/// # Errors
/// [`ProfileError::AvatarTooLarge`] or [`ProfileError::NotAnImage`].
pub fn check_avatar(image: &[u8]) -> Result<&'static str, ProfileError> {
    if image.len() > MAX_AVATAR_LEN {
        return Err(ProfileError::AvatarTooLarge {
            len: image.len() as u64,
        });
    }
    if image.len() >= 12 && &image[..4] == b"RIFF" && &image[8..12] == b"WEBP" {
        return Ok("image/webp");
    }
    IMAGE_MAGIC
        .iter()
        .find(|(_, magic)| image.starts_with(magic))
        .map(|(t, _)| *t)
        .ok_or(ProfileError::NotAnImage)
}

/// An identity's profile, as kept in the state database.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Profile {
    /// The display name, if one is set.
    pub display_name: Option<String>,
    /// The profile key: 32 random bytes, made once per identity, that encrypt the avatar.
    pub key: Zeroizing<[u8; 32]>,
    /// The avatar, if one is set.
    pub avatar: Option<Avatar>,
    /// When the profile last changed (a name, an avatar, a re-upload), seconds since the
    /// epoch: sent as `lastProfileUpdateSeconds`, by which receivers keep the newest.
    pub updated_s: u64,
}

/// An avatar: the image, and where it was uploaded.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Avatar {
    /// The image, as given (checked by [`check_avatar`]).
    pub image: Vec<u8>,
    /// Its MIME type.
    pub content_type: String,
    /// The upload, once there has been one.
    pub upload: Option<AvatarUpload>,
}

/// Where an avatar was uploaded, and until when the file server keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AvatarUpload {
    /// The file URL messages carry as `profilePicture`.
    pub url: String,
    /// When the file server deletes it, seconds since the epoch.
    pub expires_s: u64,
}

impl AvatarUpload {
    /// An upload at `url` that expires at `expires_s`.
    pub fn new(url: impl Into<String>, expires_s: u64) -> Self {
        Self {
            url: url.into(),
            expires_s,
        }
    }
}

impl Avatar {
    /// An avatar of `image` (checked), not yet uploaded.
    ///
    /// # Errors
    /// As [`check_avatar`].
    pub fn new(image: Vec<u8>) -> Result<Self, ProfileError> {
        let content_type = check_avatar(&image)?.to_owned();
        Ok(Self {
            image,
            content_type,
            upload: None,
        })
    }

    /// The upload messages can point to at `now_s`: one that has not expired.
    pub fn usable_upload(&self, now_s: u64) -> Option<&AvatarUpload> {
        self.upload.as_ref().filter(|u| u.expires_s > now_s)
    }

    /// Whether the image must be uploaded (again) before a message is sent at `now_s`: never
    /// uploaded, or expiring within [`REUPLOAD_MARGIN_S`].
    pub fn needs_upload(&self, now_s: u64) -> bool {
        self.upload
            .as_ref()
            .is_none_or(|u| u.expires_s <= now_s.saturating_add(REUPLOAD_MARGIN_S))
    }
}

impl Profile {
    /// An empty profile with the profile key `key`, changed at `now_s`.
    pub fn new(key: [u8; 32], now_s: u64) -> Self {
        Self {
            display_name: None,
            key: Zeroizing::new(key),
            avatar: None,
            updated_s: now_s,
        }
    }

    /// Fills in what a message sent at `now_s` carries of the profile: the display name
    /// (unless the message already names one: `send --name`), the update time, and the avatar
    /// when it has an unexpired upload. Returns the name and update time the message
    /// carries, for the state to remember as `last_sent` for the next message.
    ///
    /// Receivers keep the name of the newest profile (`lastProfileUpdateSeconds`, strictly
    /// newer wins). So whenever the name a message carries differs from the one the last
    /// message carried (`last_sent`; `None`: the profile's own name at its update time), it
    /// is a change at the message's time, newer than anything sent before: after a `send
    /// --name` override, the next message with the profile's name is newer still, and
    /// receivers go back to it. The same name again carries the same time (no change).
    pub fn apply_to(
        &self,
        out: &mut Outgoing,
        now_s: u64,
        last_sent: Option<&SentName>,
    ) -> SentName {
        if out.display_name.is_none() {
            out.display_name.clone_from(&self.display_name);
        }
        let (last_name, floor) = match last_sent {
            Some(l) => (l.name.as_ref(), l.updated_s.max(self.updated_s)),
            None => (self.display_name.as_ref(), self.updated_s),
        };
        let updated_s = if out.display_name.as_ref() == last_name {
            floor
        } else {
            now_s.max(floor.saturating_add(1))
        };
        out.profile_updated_s = Some(updated_s);
        out.profile_picture = self
            .avatar
            .as_ref()
            .and_then(|a| a.usable_upload(now_s))
            .map(|u| ProfilePicture::new(u.url.clone(), *self.key));
        SentName {
            name: out.display_name.clone(),
            updated_s,
        }
    }
}

/// The display name the last message carried, and the update time it carried with it
/// (kept in the state per identity; see [`Profile::apply_to`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentName {
    /// The name (`None`: the message carried none).
    pub name: Option<String>,
    /// Its `lastProfileUpdateSeconds`.
    pub updated_s: u64,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("display_name", &self.display_name)
            .field("avatar", &self.avatar)
            .field("updated_s", &self.updated_s)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Avatar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Avatar")
            .field("len", &self.image.len())
            .field("content_type", &self.content_type)
            .field("upload", &self.upload)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn names_are_checked_as_the_apps_limit_them() {
        assert_eq!(check_name("monitor"), Ok(()));
        assert_eq!(check_name(&"é".repeat(50)), Ok(()));
        assert_eq!(
            check_name(&"é".repeat(51)),
            Err(ProfileError::NameTooLong { len: 102 })
        );
        assert_eq!(check_name(""), Err(ProfileError::EmptyName));
        assert_eq!(check_name("  "), Err(ProfileError::EmptyName));
        assert_eq!(check_name("a\nb"), Err(ProfileError::NameControl));
        assert_eq!(check_name("a\u{1b}[31m"), Err(ProfileError::NameControl));
    }

    #[test]
    fn an_avatar_must_be_an_image_within_the_limit() {
        assert_eq!(check_avatar(PNG), Ok("image/png"));
        assert_eq!(check_avatar(b"\xff\xd8\xff\xe0rest"), Ok("image/jpeg"));
        assert_eq!(check_avatar(b"GIF89a..."), Ok("image/gif"));
        assert_eq!(check_avatar(b"RIFF\0\0\0\0WEBPVP8 "), Ok("image/webp"));
        assert_eq!(
            check_avatar(b"RIFF\0\0\0\0WAVE"),
            Err(ProfileError::NotAnImage)
        );
        assert_eq!(check_avatar(b"%PDF-1.7"), Err(ProfileError::NotAnImage));
        assert_eq!(check_avatar(b""), Err(ProfileError::NotAnImage));
        let mut big = PNG.to_vec();
        big.resize(MAX_AVATAR_LEN, 0);
        assert_eq!(check_avatar(&big), Ok("image/png"));
        big.push(0);
        assert_eq!(
            check_avatar(&big),
            Err(ProfileError::AvatarTooLarge {
                len: MAX_AVATAR_LEN as u64 + 1
            })
        );
    }

    #[test]
    fn an_avatar_is_uploaded_again_a_day_before_it_expires() {
        let mut a = Avatar::new(PNG.to_vec()).unwrap();
        assert!(a.needs_upload(1_000));
        assert_eq!(a.usable_upload(1_000), None);
        a.upload = Some(AvatarUpload::new("http://fs/file/1", 1_000 + 14 * 86_400));
        assert!(!a.needs_upload(1_000));
        assert!(!a.needs_upload(1_000 + 13 * 86_400 - 1));
        assert!(a.needs_upload(1_000 + 13 * 86_400));
        // Still usable until it expires, should a re-upload fail.
        assert!(a.usable_upload(1_000 + 14 * 86_400 - 1).is_some());
        assert_eq!(a.usable_upload(1_000 + 14 * 86_400), None);
    }

    #[test]
    fn a_message_carries_the_profile_and_its_avatar_once_uploaded() {
        let mut p = Profile::new([5; 32], 100);
        p.display_name = Some("bot".into());
        let mut a = Avatar::new(PNG.to_vec()).unwrap();
        p.avatar = Some(a.clone());
        let mut out = Outgoing::new("hi");
        p.apply_to(&mut out, 200, None);
        assert_eq!(out.display_name.as_deref(), Some("bot"));
        assert_eq!(out.profile_updated_s, Some(100));
        // Not uploaded: no picture, no key.
        assert_eq!(out.profile_picture, None);
        a.upload = Some(AvatarUpload::new("http://fs/file/7", 10_000));
        p.avatar = Some(a);
        p.apply_to(&mut out, 200, None);
        assert_eq!(
            out.profile_picture,
            Some(ProfilePicture::new("http://fs/file/7", [5; 32]))
        );
        // Expired: left out rather than pointing at nothing.
        p.apply_to(&mut out, 10_000, None);
        assert_eq!(out.profile_picture, None);
    }

    #[test]
    fn send_name_overrides_the_profile_name_as_a_newer_change() {
        let mut p = Profile::new([5; 32], 100);
        p.display_name = Some("bot".into());
        let mut out = Outgoing::new("hi");
        out.display_name = Some("alarm".into());
        let sent = p.apply_to(&mut out, 500, None);
        assert_eq!(out.display_name.as_deref(), Some("alarm"));
        assert_eq!(out.profile_updated_s, Some(500));
        assert_eq!(
            sent,
            SentName {
                name: Some("alarm".into()),
                updated_s: 500
            }
        );
        // The same name as the profile's is no change.
        let mut same = Outgoing::new("hi");
        same.display_name = Some("bot".into());
        assert_eq!(p.apply_to(&mut same, 500, None).updated_s, 100);
        assert_eq!(same.profile_updated_s, Some(100));
        assert!(!format!("{p:?}").contains("5, 5"));
    }

    /// What a receiver that keeps the name of the strictly newest profile ends up showing.
    fn keep_newest(kept: &mut Option<(Option<String>, u64)>, out: &Outgoing) {
        let t = out.profile_updated_s.unwrap_or(0);
        if kept.as_ref().is_none_or(|(_, k)| t > *k) {
            *kept = Some((out.display_name.clone(), t));
        }
    }

    #[test]
    fn after_an_override_receivers_go_back_to_the_profile_name() {
        let mut p = Profile::new([5; 32], 100);
        p.display_name = Some("bot".into());
        let mut last: Option<SentName> = None;
        let mut kept = None;
        // (time, --name): a plain message, an override, two plain ones, the override twice
        // in the same second, and the profile name again in that second.
        let sends = [
            (200, None),
            (300, Some("alarm")),
            (400, None),
            (500, None),
            (600, Some("alarm")),
            (600, Some("alarm")),
            (600, None),
        ];
        let mut carried = Vec::new();
        for (now, name) in sends {
            let mut out = Outgoing::new("hi");
            out.display_name = name.map(str::to_owned);
            last = Some(p.apply_to(&mut out, now, last.as_ref()));
            keep_newest(&mut kept, &out);
            carried.push(out.profile_updated_s.unwrap());
            let shown = kept.as_ref().and_then(|(n, _)| n.as_deref());
            assert_eq!(
                shown,
                Some(name.unwrap_or("bot")),
                "after the send at {now}"
            );
        }
        // A change only when the name changes: the same name keeps its time.
        assert_eq!(carried, [100, 300, 400, 400, 600, 600, 601]);
        // A profile change (`profile set`) later than what was sent wins as before.
        p.display_name = Some("monitor".into());
        p.updated_s = 700;
        let mut out = Outgoing::new("hi");
        p.apply_to(&mut out, 700, last.as_ref());
        keep_newest(&mut kept, &out);
        assert_eq!(kept.unwrap().0.as_deref(), Some("monitor"));
    }
}
